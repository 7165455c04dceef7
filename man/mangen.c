/*
 * mangen.c - writes a man page from its template and the program's option
 * table, as curl's managen: the OPTIONS section of origind(1) and
 * origin-ingest(1) is generated from the same rows as --help and the
 * parser, so the page lists every option. scripts/package.sh ships its
 * output; the lint test lint_man_options checks it.
 *
 *   mangen PROGRAM TEMPLATE   the template with its "@OPTIONS@" line
 *                             replaced by opt_man()'s paragraphs, on stdout
 *   mangen --names PROGRAM    one line per option: its name, then the
 *                             commands that take it
 * PROGRAM is origind or origin-ingest. Exit 0, 1 on an unreadable template
 * or one without exactly one @OPTIONS@ line, 2 on a usage error.
 *
 * For: generating the pages at build and package time.
 * Not for: anything installed (it is not packaged) or the page's prose (the
 * templates man/origind.1.in and man/origin-ingest.1.in).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "opt.h"
#include "opts.h"

static const struct opt_table *table_of(const char *program)
{
    if (strcmp(program, "origind") == 0)
        return &config_opt_table;
    if (strcmp(program, "origin-ingest") == 0)
        return &ingest_opt_table;
    return NULL;
}

static void names(const struct opt_table *t)
{
    size_t k, b;

    for (k = 0; k < t->n; k++) {
        const struct opt_row *o = opt_row_at(t, k);

        fputs(o->name, stdout);
        for (b = 0; b < t->ncmds; b++) {
            if (o->cmds & (1u << b))
                printf(" %s", t->cmd_names[b]);
        }
        fputc('\n', stdout);
    }
}

/* Copies template to stdout with the @OPTIONS@ line replaced. Returns 0 or
 * 1 (the reason on stderr). */
static int page(const struct opt_table *t, const char *template)
{
    char line[4096];
    FILE *f = fopen(template, "r");
    int markers = 0, rc = 1;

    if (f == NULL) {
        perror(template);
        return 1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strcmp(line, "@OPTIONS@\n") == 0) {
            opt_man(stdout, t);
            markers++;
        } else {
            fputs(line, stdout);
        }
    }
    if (ferror(f))
        perror(template);
    else if (markers != 1)
        fprintf(stderr, "mangen: %s has %d @OPTIONS@ lines, not one\n", template, markers);
    else
        rc = 0;
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    const struct opt_table *t;

    if (argc != 3) {
        fputs("usage: mangen PROGRAM TEMPLATE | mangen --names PROGRAM\n", stderr);
        return 2;
    }
    t = table_of(strcmp(argv[1], "--names") == 0 ? argv[2] : argv[1]);
    if (t == NULL) {
        fputs("mangen: PROGRAM is origind or origin-ingest\n", stderr);
        return 2;
    }
    if (strcmp(argv[1], "--names") == 0) {
        names(t);
        return 0;
    }
    return page(t, argv[2]);
}
