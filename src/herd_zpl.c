/*  herd_zpl - ZPL text (czmq's zconfig format) with line numbers

    The scan mirrors zconfig_chunk_load of czmq 4.2.1 (src/zconfig.c) rule
    for rule, so that it refuses exactly what zconfig refuses: the fuzz
    target tests/fuzz/fuzz_topology.c checks the two against each other.  */

#include "herd_zpl.h"

//  One item line of the text, as the scan found it.
typedef struct {
    size_t line;       //  1-based
    const char *name;  //  Into the text, not terminated
    size_t length;     //  Of name
} s_item_t;

//  The line of one item of the tree, found by its address.
typedef struct {
    uintptr_t item;  //  The zconfig_t, as a number to sort on
    size_t line;     //  1-based
} s_place_t;

struct _herd_zpl_t {
    zconfig_t *root;    //  The tree zconfig built, or NULL
    s_place_t *places;  //  One per item of the tree, by address
    size_t place_count;
};

herd_zpl_t *
herd_zpl_new (void)
{
    return (herd_zpl_t *) zmalloc (sizeof (herd_zpl_t));
}

static void
s_clear (herd_zpl_t *self)
{
    free (self->places);
    self->places = NULL;
    self->place_count = 0;
    zconfig_destroy (&self->root);
}

void
herd_zpl_destroy (herd_zpl_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_clear (*self_p);
        free (*self_p);
        *self_p = NULL;
    }
}

//  isspace in the C locale, as zconfig calls it.
static bool
s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
           || c == '\r';
}

//  zconfig's s_is_namechar: isalnum in the C locale, or one of $-_@.&+/
static bool
s_is_name (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || (c && strchr ("$-_@.&+/", c));
}

static const char *
s_skip_space (const char *at, const char *end)
{
    while (at < end && s_is_space (*at))
        at++;
    return at;
}

//  What follows a name up to the end of its line: "= value", a comment or
//  nothing (zconfig's s_collect_value).  Returns a reason, or NULL if it is
//  valid.
static const char *
s_check_value (const char *after, const char *end)
{
    const char *at = s_skip_space (after, end);
    if (at == end || *at == '#')
        return NULL;
    if (*at != '=')
        //  The name stopped at a character no name may have, or a word
        //  follows it with no "=" between
        return at == after ? "a name must be letters, digits and $-_@.&+/"
                           : "only \"= value\" or a # comment may follow a "
                             "name";
    at = s_skip_space (at + 1, end);
    if (at == end || (*at != '"' && *at != '\''))
        return NULL;  //  An unquoted value runs to the end or a #
    const char *close = (const char *) memchr (at + 1, *at, end - at - 1);
    if (!close)
        return *at == '"' ? "unterminated quote (no closing \" on the line)"
                          : "unterminated quote (no closing ' on the line)";
    at = s_skip_space (close + 1, end);
    if (at < end && *at != '#')
        return "only a # comment may follow a quoted value";
    return NULL;
}

//  A line with no name after its indentation: blank, a comment, or an
//  error (zconfig's s_verify_eoln).  Returns a reason, or NULL.
static const char *
s_check_nameless (const char *after, const char *end)
{
    const char *at = s_skip_space (after, end);
    if (at == end || *at == '#')
        return NULL;
    if (memchr (after, '\t', at - after))
        return "a tab in the indentation (indent with 4 spaces a level)";
    if (*at == '=')
        return "no name before \"=\"";
    return "a name must be letters, digits and $-_@.&+/";
}

//  Scan text as zconfig_chunk_load does: lines split at LF, trailing white
//  space dropped, indentation in spaces, 4 a level, and an item at most one
//  level below the item before it.  Fills items in document order (items
//  holds one entry per line).  Returns 0, or -1 with the line and reason.
static int
s_scan (const char *text,
        s_item_t *items,
        size_t *count,
        size_t *line,
        const char **reason)
{
    *count = 0;
    *line = 0;
    *reason = NULL;
    long last_level = -1;  //  Of the item before; -1 before the first
    for (const char *start = text; *start;) {
        const char *eol = strchr (start, '\n');
        const char *next = eol ? eol + 1 : start + strlen (start);
        const char *end = eol ? eol : next;
        while (end > start && s_is_space (end[-1]))
            end--;
        ++*line;
        const char *name = start;
        while (name < end && *name == ' ')
            name++;
        const char *after = name;
        while (after < end && s_is_name (*after))
            after++;
        long level = (long) ((name - start) / 4);
        size_t length = (size_t) (after - name);
        if ((name - start) % 4)
            *reason = "indentation is not a multiple of 4 spaces";
        else if (length == 0)
            *reason = s_check_nameless (after, end);
        else if (name[0] == '/' || after[-1] == '/')
            *reason = "a name may not begin or end with /";
        else if (!(*reason = s_check_value (after, end))
                 && level > last_level + 1)
            *reason = last_level < 0
                          ? "indented, but no item comes before it"
                          : "indented more than one level below the item "
                            "before it";
        if (*reason)
            return -1;
        if (length > 0) {
            items[*count] = (s_item_t){*line, name, length};
            ++*count;
            last_level = level;
        }
        start = next;
    }
    *line = 0;
    return 0;
}

//  Give each item of the tree the line of the next item line, depth first
//  in document order (zconfig appends every item as the last child of the
//  item before it at the level above, so this order is the text's).
//  Stops at the first item whose name differs: no line beats a wrong one.
static bool
s_map (herd_zpl_t *self, zconfig_t *parent, const s_item_t *items, size_t count)
{
    for (zconfig_t *item = zconfig_child (parent); item;
         item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        size_t at = self->place_count;
        if (at == count || strlen (name) != items[at].length
            || memcmp (name, items[at].name, items[at].length))
            return false;
        self->places[at] = (s_place_t){(uintptr_t) item, items[at].line};
        self->place_count++;
        if (!s_map (self, item, items, count))
            return false;
    }
    return true;
}

static int
s_compare (const void *one, const void *two)
{
    uintptr_t a = ((const s_place_t *) one)->item;
    uintptr_t b = ((const s_place_t *) two)->item;
    return (a > b) - (a < b);
}

int
herd_zpl_load (herd_zpl_t *self,
               const char *text,
               size_t *line,
               const char **reason)
{
    assert (self && text && line && reason);
    s_clear (self);
    size_t lines = 1;
    for (const char *at = text; (at = strchr (at, '\n')); at++)
        lines++;
    s_item_t *items = (s_item_t *) zmalloc (lines * sizeof (s_item_t));
    size_t count;
    int rc = s_scan (text, items, &count, line, reason);
    if (rc == 0) {
        //  Cannot fail now, unless czmq's rules are no longer ours: it
        //  would then print its own message on stdout
        self->root = zconfig_str_load (text);
        if (!self->root) {
            *reason = "not valid ZPL";
            rc = -1;
        }
    }
    if (rc == 0) {
        //  O(n log n) over the items, once per load
        self->places = (s_place_t *) zmalloc ((count + 1) * sizeof (s_place_t));
        s_map (self, self->root, items, count);
        qsort (self->places, self->place_count, sizeof (s_place_t), s_compare);
    }
    free (items);
    return rc;
}

zconfig_t *
herd_zpl_root (herd_zpl_t *self)
{
    assert (self);
    return self->root;
}

size_t
herd_zpl_line (herd_zpl_t *self, zconfig_t *item)
{
    assert (self);
    if (!item || !self->place_count)
        return 0;
    s_place_t key = {(uintptr_t) item, 0};
    const s_place_t *place = (const s_place_t *) bsearch (
        &key, self->places, self->place_count, sizeof (s_place_t), s_compare);
    return place ? place->line : 0;
}
