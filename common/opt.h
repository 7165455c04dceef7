/*
 * opt.h - the command-line option engine of origind and origin-ingest: each
 * program describes its options in a table (one row per option: long name,
 * value name, environment variable, default, commands, help line), and this
 * engine parses argv against it with one strictness, prints the options part
 * of --help, and writes the OPTIONS section of the man page, so --help, the
 * man page and the parser can never disagree (curl's docs/cmdline-opts).
 *
 * The syntax, the same for both programs:
 *   --name VALUE and --name=VALUE   an option that takes a value (the next
 *                                   argument is the value even if it starts
 *                                   with '-'; "--name=" gives "")
 *   --name                          a flag; "--name=x" is refused
 *   -c                              a row's one-letter short name (a flag,
 *                                   or its value is the next argument)
 *   --                              every later argument is an operand
 *   -                               an operand
 *   anything else starting with '-' an unknown option, refused
 * A row is matched only by the commands in its mask; an option of another
 * command is unknown here. Environment variables, defaults and values are
 * the programs' business (the engine shows env and def, never reads them).
 *
 * No allocation, no global state: thread-safe. Nothing here prints except
 * opt_help() and opt_man(), to the FILE they are given.
 */
#ifndef ORIGIND_OPT_H
#define ORIGIND_OPT_H

#include <stddef.h>
#include <stdio.h>

/* One option. The strings are static (the table is const). */
struct opt_row {
    const char *name;  /* long name without "--" */
    char short_name;   /* one letter for "-c", 0 for none */
    const char *value; /* the value's name in help ("FILE"); NULL: a flag, takes no value */
    const char *env;   /* environment variable shown in help, NULL for none */
    const char *def;   /* default as shown in help, NULL for none */
    unsigned cmds;     /* bit mask of the commands that take it (bit b: cmd_names[b]) */
    const char *help;  /* one sentence, no final period */
};

/* A program's table. Its rows may be a program's own struct that begins
 * with a struct opt_row (stride: that struct's size), as qsort's array. */
struct opt_table {
    const void *rows;
    size_t n;
    size_t stride;
    const char *const *cmd_names; /* the man page's "(push, verify; ...)" */
    size_t ncmds;
};

/* Row i (< t->n) of t; borrowed from the table. */
const struct opt_row *opt_row_at(const struct opt_table *t, size_t i);

/* A parse in progress; fill it with opt_parser_init, read it with opt_next. */
struct opt_parser {
    const struct opt_table *t;
    unsigned cmd;      /* rows whose mask holds cmd match */
    const char *see;   /* "origind serve": errors say "(see origind serve --help)" */
    unsigned max_args; /* operands accepted; one more is an error */
    unsigned nargs;
    int argc;
    char **argv;
    int next;      /* index of the next argv element */
    int args_only; /* after "--" */
};

/* Parses argv[0..argc) (the arguments after the command's name) against
 * the rows of t that command bit cmd takes, accepting at most max_args
 * operands. t, see and argv are borrowed for the parse. */
void opt_parser_init(struct opt_parser *p, const struct opt_table *t, unsigned cmd, const char *see,
                     unsigned max_args, int argc, char **argv);

/* What opt_next found. */
enum opt_next_rc {
    OPT_END = 0,     /* no more arguments */
    OPT_OPTION = 1,  /* *row is the option's row index, *value its value (NULL: a flag) */
    OPT_OPERAND = 2, /* *value is an operand (at most max_args of them) */
    OPT_EUSAGE = -1  /* a one-line reason in err[0..errlen), without the program's name:
                        an unknown option, a flag given a value, a value missing, or an
                        operand too many */
};

/* The next option or operand, in argv order. *row is written only for
 * OPT_OPTION, *value only for OPT_OPTION and OPT_OPERAND; *value points
 * into argv (borrowed for as long as argv lives). After OPT_END every later
 * call returns OPT_END; after OPT_EUSAGE the parse is over (do not call
 * again). */
int opt_next(struct opt_parser *p, size_t *row, const char **value, char *err, size_t errlen);

/* Prints to f the rows command bit cmd takes, in table order, each as
 *   "  -c, --name VALUE\n      help\n      env ENV, default DEF\n"
 * (the third line only with an env or a default). */
void opt_help(FILE *f, const struct opt_table *t, unsigned cmd);

/* Prints to f every row of t as man(7) paragraphs (.TP; the option, its
 * help, then "(commands; env ENV; default DEF)"), escaped for roff: the
 * body of an OPTIONS section. */
void opt_man(FILE *f, const struct opt_table *t);

#endif /* ORIGIND_OPT_H */
