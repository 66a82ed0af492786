/*  herd_record - a node's log record read back  */

#include "herd_record.h"
#include "herd_str.h"
#include "herd_log.h"

#include <cJSON.h>
#include <czmq.h>

int64_t
herd_record_time (const char *record, size_t size)
{
    const char *space = (const char *) memchr (record, ' ', size);
    return herd_log_parse_time (record,
                                space ? (size_t) (space - record) : size);
}

bool
herd_record_word (const char *text, size_t size, size_t *at, herd_span_t *word)
{
    while (*at < size && text[*at] == ' ')
        (*at)++;
    if (*at >= size)
        return false;
    size_t start = *at;
    bool quoted = false;
    while (*at < size && (quoted || text[*at] != ' ')) {
        if (text[*at] == '"')
            quoted = !quoted;
        else if (text[*at] == '\\' && *at + 1 < size)
            (*at)++;
        (*at)++;
    }
    word->data = text + start;
    word->size = *at - start;
    return true;
}

//  How many bytes the well-formed UTF-8 sequence at bytes takes (1 to 4),
//  or 0 if there is none there (The Unicode Standard, table 3-7: no
//  overlongs, no surrogates, nothing over U+10FFFF, nothing cut short).
static size_t
s_utf8_length (const unsigned char *bytes, size_t size)
{
    unsigned char lead = bytes[0], low = 0x80, high = 0xbf;
    size_t length;
    if (lead < 0x80)
        return 1;
    else if (lead >= 0xc2 && lead <= 0xdf)
        length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        low = lead == 0xe0 ? 0xa0 : low;    //  Overlong below U+0800
        high = lead == 0xed ? 0x9f : high;  //  Surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        low = lead == 0xf0 ? 0x90 : low;    //  Overlong below U+10000
        high = lead == 0xf4 ? 0x8f : high;  //  Over U+10FFFF
    } else
        return 0;
    if (size < length || bytes[1] < low || bytes[1] > high)
        return 0;
    for (size_t i = 2; i < length; i++)
        if (bytes[i] < 0x80 || bytes[i] > 0xbf)
            return 0;
    return length;
}

//  Bytes as a string that JSON can hold: each byte that is not part of a
//  well-formed UTF-8 sequence, and each NUL (cJSON strings end at one),
//  becomes U+FFFD.  Sets *replaced if any did.  Caller owns return value.
static char *
s_utf8 (const char *data, size_t size, bool *replaced)
{
    char *text = (char *) zmalloc (3 * size + 1);  //  3 bytes per U+FFFD
    size_t length = 0;
    *replaced = false;
    for (size_t at = 0; at < size;) {
        size_t run =
            s_utf8_length ((const unsigned char *) data + at, size - at);
        if (run == 0 || data[at] == 0) {
            memcpy (text + length, "\xef\xbf\xbd", 3);
            length += 3;
            at++;
            *replaced = true;
        } else {
            memcpy (text + length, data + at, run);
            length += run;
            at += run;
        }
    }
    text[length] = 0;
    return text;
}

//  Every string the monitor puts in JSON goes through here: name gets the
//  bytes as UTF-8 (s_utf8) and, if any byte had to be replaced, name_escaped
//  gets them as the node's log escapes them, so that none is lost
//  (proto/monitor.md section 3, --json).
static void
s_add (cJSON *object, const char *name, const char *data, size_t size)
{
    bool replaced;
    char *text = s_utf8 (data, size, &replaced);
    cJSON_AddStringToObject (object, name, text);
    free (text);
    if (replaced) {
        char *escaped = (char *) zmalloc (4 * size + 1);
        escaped[herd_log_escape (escaped, data, size)] = 0;
        char *twin = herd_str_printf ("%s_escaped", name);
        cJSON_AddStringToObject (object, twin, escaped);
        free (twin);
        free (escaped);
    }
}

//  A key=value word or a payload of a record.
typedef struct {
    char *key;    //  "data" for a payload (a quoted word alone); UTF-8
    char *value;  //  Its bytes, a quoted value unquoted
    size_t size;  //  How many
} s_field_t;

//  The field a word is, or false if it is none.  The caller frees the
//  field's key and value.
static bool
s_word_field (herd_span_t word, s_field_t *field)
{
    const char *equals = (const char *) memchr (word.data, '=', word.size);
    if (word.size > 0 && word.data[0] == '"') {
        field->key = herd_str_dup ("data");
        field->value = herd_log_unquote (word.data, word.size, &field->size);
    } else if (equals && equals != word.data) {
        bool replaced;
        size_t key = (size_t) (equals - word.data);
        field->key = s_utf8 (word.data, key, &replaced);
        herd_span_t value = {equals + 1, word.size - key - 1};
        if (value.size > 0 && value.data[0] == '"')
            field->value =
                herd_log_unquote (value.data, value.size, &field->size);
        else {
            field->value = (char *) zmalloc (value.size + 1);
            memcpy (field->value, value.data, value.size);
            field->size = value.size;
        }
    } else
        return false;
    return true;
}

static void
s_field_free (s_field_t *field)
{
    free (field->key);
    free (field->value);
}

//  Where a record's fields begin: after its time, node, level and event.
static size_t
s_fields_start (const char *record, size_t size)
{
    size_t at = 0;
    herd_span_t word;
    for (int i = 0; i < 4; i++)
        herd_record_word (record, size, &at, &word);
    return at;
}

//  The record's first field called name, or false.  The caller frees the
//  field's key and value.
static bool
s_find (const char *record, size_t size, const char *name, s_field_t *field)
{
    size_t at = s_fields_start (record, size);
    herd_span_t word;
    while (herd_record_word (record, size, &at, &word))
        if (s_word_field (word, field)) {
            if (streq (field->key, name))
                return true;
            s_field_free (field);
        }
    return false;
}

bool
herd_record_field (const char *record,
                   size_t size,
                   const char *name,
                   char **value,
                   size_t *value_size)
{
    assert (record && name && value && value_size);
    s_field_t field;
    if (!s_find (record, size, name, &field))
        return false;
    free (field.key);
    *value = field.value;
    *value_size = field.size;
    return true;
}

void *
herd_record_parse (const char *record, size_t size)
{
    cJSON *root = cJSON_CreateObject ();
    const char *heads[] = {"time", "node", "level", "event"};
    size_t at = 0;
    for (size_t i = 0; i < 4; i++) {
        herd_span_t word = {"", 0};
        herd_record_word (record, size, &at, &word);
        s_add (root, heads[i], word.data, word.size);
    }
    while (at < size && record[at] == ' ')
        at++;
    s_add (root, "text", record + at, size - at);
    cJSON *fields = cJSON_AddObjectToObject (root, "fields");
    herd_span_t word;
    s_field_t field;
    while (herd_record_word (record, size, &at, &word))
        if (s_word_field (word, &field)) {
            s_add (fields, field.key, field.value, field.size);
            s_field_free (&field);
        }
    return root;
}

char *
herd_record_json (const char *record, size_t size)
{
    cJSON *root = (cJSON *) herd_record_parse (record, size);
    char *json = cJSON_PrintUnformatted (root);
    cJSON_Delete (root);
    return json;
}
