/*  herd_saver - the node's table kept in its state file, and aged  */

#include "herd_saver.h"
#include "herd_state.h"
#include "herd_str.h"
#include "herd_dir.h"

#include <czmq.h>
#include <sys/wait.h>

struct _herd_saver_t {
    herd_table_t *table;  //  Borrowed
    herd_log_t *log;      //  Borrowed
    herd_saver_config_t config;
    uint64_t saved;         //  herd_table_stored at the last save
    uint64_t evicted;       //  Evictions already logged
    pid_t child;            //  Writing the state file, or 0
    uint64_t saving;        //  herd_table_stored when it was forked
    size_t saving_records;  //  Records it writes
    int64_t saving_since;   //  When it was forked (microseconds)
};

herd_saver_t *
herd_saver_new (herd_table_t *table,
                herd_log_t *log,
                const herd_saver_config_t *config)
{
    assert (table && log && config);
    herd_saver_t *self = (herd_saver_t *) zmalloc (sizeof (herd_saver_t));
    self->table = table;
    self->log = log;
    self->config = *config;
    return self;
}

//  Has the child finished?  Logs how it went; with wait, waits for it.
//  Returns true if no child is running now.
static bool
s_reap (herd_saver_t *self, bool wait)
{
    if (self->child <= 0)
        return true;
    int status;
    pid_t done = waitpid (self->child, &status, wait ? 0 : WNOHANG);
    if (done == 0)
        return false;
    if (done == self->child && WIFEXITED (status)
        && WEXITSTATUS (status) == 0) {
        self->saved = self->saving;
        herd_log_printf (
            self->log, "notice",
            "state saved records=%zu us=%" PRId64 " to %s (in the background)",
            self->saving_records, zclock_usecs () - self->saving_since,
            self->config.path);
    } else
        herd_log_printf (self->log, "error",
                         "state not saved to %s: the saving process failed",
                         self->config.path);
    self->child = 0;
    return true;
}

void
herd_saver_destroy (herd_saver_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_reap (*self_p, true);
        free (*self_p);
        *self_p = NULL;
    }
}

bool
herd_saver_enabled (herd_saver_t *self)
{
    assert (self);
    return *self->config.path != 0;
}

int
herd_saver_load (herd_saver_t *self)
{
    assert (self);
    if (!herd_saver_enabled (self))
        return 0;
    size_t loaded, refused;
    const char *path = self->config.path;
    //  Its directory may be new (a fresh state_dir, which nodes started
    //  together make at once): a failure shows when it is saved
    const char *slash = strrchr (path, '/');
    if (slash && slash > path) {
        char *directory = herd_str_ndup (path, (size_t) (slash - path));
        herd_dir_make (directory);
        free (directory);
    }
    if (herd_state_load (self->table, path, &loaded, &refused)) {
        fprintf (stderr, "herd: cannot load state file %s: %s\n", path,
                 errno == EINVAL ? "not a herd state file" : strerror (errno));
        return -1;
    }
    self->saved = herd_table_stored (self->table);
    herd_log_printf (self->log, refused ? "warning" : "notice",
                     "state loaded records=%zu refused=%zu from %s", loaded,
                     refused, path);
    return 0;
}

void
herd_saver_age (herd_saver_t *self, int64_t now_s)
{
    assert (self);
    int64_t max_age = self->config.max_age_s;
    if (max_age > 0 && now_s > max_age)
        herd_table_expire (self->table, (uint64_t) (now_s - max_age));
    uint64_t evicted = herd_table_evicted (self->table);
    if (evicted != self->evicted) {
        herd_log_printf (self->log, "warning",
                         "records evicted=%" PRIu64
                         " in the last second, %" PRIu64 " in all; %zu held",
                         evicted - self->evicted, evicted,
                         herd_table_size (self->table));
        self->evicted = evicted;
    }
}

//  Save in the loop; logged either way.
static void
s_save_here (herd_saver_t *self)
{
    int64_t start = zclock_usecs ();
    uint64_t stored = herd_table_stored (self->table);
    size_t count;
    if (herd_state_save (self->table, self->config.path, &count) == 0) {
        self->saved = stored;
        herd_log_printf (self->log, "notice",
                         "state saved records=%zu us=%" PRId64 " to %s", count,
                         zclock_usecs () - start, self->config.path);
    } else
        herd_log_printf (self->log, "error", "state not saved to %s: %s",
                         self->config.path, strerror (errno));
}

void
herd_saver_save (herd_saver_t *self)
{
    assert (self);
    if (!herd_saver_enabled (self) || !s_reap (self, false)
        || herd_table_stored (self->table) == self->saved)
        return;
    if (self->config.in_loop) {
        s_save_here (self);
        return;
    }
    herd_log_flush (self->log);  //  Or the child would hold a copy too
    self->saving = herd_table_stored (self->table);
    self->saving_records = herd_table_size (self->table);
    self->saving_since = zclock_usecs ();
    pid_t pid = fork ();
    if (pid == 0) {
        size_t count;
        _exit (herd_state_save (self->table, self->config.path, &count) ? 1
                                                                        : 0);
    }
    if (pid < 0)
        s_save_here (self);
    else
        self->child = pid;
}

void
herd_saver_finish (herd_saver_t *self)
{
    assert (self);
    if (!herd_saver_enabled (self))
        return;
    s_reap (self, true);
    s_save_here (self);
}
