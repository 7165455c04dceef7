/*
 * opt.c - the option engine (see opt.h): argv against a table of rows, the
 * options part of --help, and the man page's OPTIONS paragraphs.
 *
 * For: the syntax of a command line and the text generated from a table.
 * Not for: a program's options, values, environment or defaults (origind's
 * table is server/config_table.c, origin-ingest's tools/opts_table.c; each
 * program reads its environment and validates its values itself).
 */
#include "opt.h"

#include <string.h>

const struct opt_row *opt_row_at(const struct opt_table *t, size_t i)
{
    return (const struct opt_row *)(const void *)((const char *)t->rows + i * t->stride);
}

void opt_parser_init(struct opt_parser *p, const struct opt_table *t, unsigned cmd, const char *see,
                     unsigned max_args, int argc, char **argv)
{
    memset(p, 0, sizeof(*p));
    p->t = t;
    p->cmd = cmd;
    p->see = see;
    p->max_args = max_args;
    p->argc = argc;
    p->argv = argv;
}

/* The row of cmd named name[0..len) (long) or, with len 0, short name c.
 * Returns its index, or t->n. */
static size_t find_row(const struct opt_parser *p, const char *name, size_t len, char c)
{
    size_t k;

    for (k = 0; k < p->t->n; k++) {
        const struct opt_row *o = opt_row_at(p->t, k);

        if (!(o->cmds & p->cmd))
            continue;
        if (len == 0 ? o->short_name != 0 && o->short_name == c
                     : strlen(o->name) == len && memcmp(o->name, name, len) == 0)
            return k;
    }
    return p->t->n;
}

int opt_next(struct opt_parser *p, size_t *row, const char **value, char *err, size_t errlen)
{
    const char *a, *eq;
    const struct opt_row *o;
    size_t k, len;

    for (;;) {
        if (p->next >= p->argc)
            return OPT_END;
        a = p->argv[p->next++];
        if (!p->args_only && strcmp(a, "--") == 0) {
            p->args_only = 1;
            continue;
        }
        break;
    }
    if (p->args_only || a[0] != '-' || a[1] == '\0') {
        if (p->nargs >= p->max_args) {
            snprintf(err, errlen, "unexpected argument '%s' (see %s --help)", a, p->see);
            return OPT_EUSAGE;
        }
        p->nargs++;
        *value = a;
        return OPT_OPERAND;
    }
    if (a[1] != '-') { /* "-c": a short name, alone */
        k = a[2] == '\0' ? find_row(p, NULL, 0, a[1]) : p->t->n;
        eq = NULL;
        len = strlen(a);
    } else {
        eq = strchr(a + 2, '=');
        len = eq != NULL ? (size_t)(eq - a) : strlen(a);
        k = find_row(p, a + 2, len - 2, 0);
    }
    if (k == p->t->n) {
        snprintf(err, errlen, "unknown option '%.*s' (see %s --help)", (int)len, a, p->see);
        return OPT_EUSAGE;
    }
    o = opt_row_at(p->t, k);
    if (o->value == NULL) {
        if (eq != NULL) {
            snprintf(err, errlen, "--%s takes no value (see %s --help)", o->name, p->see);
            return OPT_EUSAGE;
        }
        *value = NULL;
    } else if (eq != NULL) {
        *value = eq + 1;
    } else if (p->next < p->argc) {
        *value = p->argv[p->next++];
    } else {
        snprintf(err, errlen, "--%s needs %s (see %s --help)", o->name, o->value, p->see);
        return OPT_EUSAGE;
    }
    *row = k;
    return OPT_OPTION;
}

void opt_help(FILE *f, const struct opt_table *t, unsigned cmd)
{
    size_t k;

    for (k = 0; k < t->n; k++) {
        const struct opt_row *o = opt_row_at(t, k);

        if (!(o->cmds & cmd))
            continue;
        fputs("  ", f);
        if (o->short_name != 0)
            fprintf(f, "-%c, ", o->short_name);
        fprintf(f, "--%s%s%s\n      %s\n", o->name, o->value != NULL ? " " : "",
                o->value != NULL ? o->value : "", o->help);
        if (o->env != NULL && o->def != NULL)
            fprintf(f, "      env %s, default %s\n", o->env, o->def);
        else if (o->env != NULL)
            fprintf(f, "      env %s\n", o->env);
        else if (o->def != NULL)
            fprintf(f, "      default %s\n", o->def);
    }
}

/* s for roff: a backslash as \e, every '-' as \- (a minus, not a hyphen). */
static void roff_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

/* The "(push, verify; " that opens the line after an option's help. */
static void man_cmds(FILE *f, const struct opt_table *t, unsigned cmds)
{
    unsigned all = t->ncmds >= sizeof(unsigned) * 8 ? ~0u : (1u << t->ncmds) - 1;
    const char *sep = "";
    size_t b;

    if ((cmds & all) == all) {
        fputs("all commands", f);
        return;
    }
    for (b = 0; b < t->ncmds; b++) {
        if (cmds & (1u << b)) {
            fprintf(f, "%s%s", sep, t->cmd_names[b]);
            sep = ", ";
        }
    }
}

void opt_man(FILE *f, const struct opt_table *t)
{
    size_t k;

    for (k = 0; k < t->n; k++) {
        const struct opt_row *o = opt_row_at(t, k);

        fputs(".TP\n", f);
        fputs(o->value != NULL ? ".BI \"" : ".B \"", f);
        if (o->short_name != 0)
            fprintf(f, "\\-%c, ", o->short_name);
        fputs("\\-\\-", f);
        roff_text(f, o->name);
        fputc('"', f);
        if (o->value != NULL) {
            fputs(" \" ", f);
            roff_text(f, o->value);
            fputc('"', f);
        }
        fputs(o->help[0] == '.' || o->help[0] == '\'' ? "\n\\&" : "\n", f);
        roff_text(f, o->help);
        fputs(".\n(", f);
        man_cmds(f, t, o->cmds);
        if (o->env != NULL) {
            fputs("; env ", f);
            roff_text(f, o->env);
        }
        if (o->def != NULL) {
            fputs("; default ", f);
            roff_text(f, o->def);
        }
        fputs(")\n", f);
    }
}
