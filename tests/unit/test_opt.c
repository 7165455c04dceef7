/*
 * test_opt.c - cmocka unit tests for common/opt.c, the option engine both
 * programs parse their command lines with: --name VALUE and --name=VALUE,
 * a flag, a short name, operands, "--" and "-"; what is refused, each with
 * its one line (an unknown option, a flag given a value, a missing value,
 * an operand too many, an option of another command); a table whose rows
 * are a larger struct (stride); the --help lines and the man paragraphs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "opt.h"

enum { A = 1, B = 2 };
enum { R_FILE, R_FLAG, R_HELP, R_BONLY };

static const struct opt_row rows[] = {
    [R_FILE] = {"file", 0, "FILE", "T_FILE", "x.txt", A | B, "a file"},
    [R_FLAG] = {"dry-run", 0, NULL, "T_DRY", NULL, A | B, "change nothing"},
    [R_HELP] = {"help", 'h', NULL, NULL, NULL, A | B, "this help"},
    [R_BONLY] = {"only-b", 0, "N", NULL, "3", B, "b's own"},
};
static const char *const names[] = {"a", "b"};
static const struct opt_table table = {rows, 4, sizeof(rows[0]), names, 2};

struct parse {
    int rc[8];
    size_t row[8];
    const char *value[8];
    int n;
    char err[200];
};

/* Runs opt_next until OPT_END or OPT_EUSAGE over args (NULL-terminated). */
static void run(struct parse *r, unsigned cmd, unsigned max_args, const char **args)
{
    struct opt_parser p;
    int argc = 0;

    while (args[argc] != NULL)
        argc++;
    memset(r, 0, sizeof(*r));
    opt_parser_init(&p, &table, cmd, "prog a", max_args, argc, (char **)args);
    for (;;) {
        assert_true(r->n < 8);
        r->rc[r->n] = opt_next(&p, &r->row[r->n], &r->value[r->n], r->err, sizeof(r->err));
        if (r->rc[r->n++] <= 0)
            return;
    }
}

static void test_values(void **state)
{
    const char *args[] = {"--file", "-v", "--file=a=b", "--file=", "--dry-run", "-h", NULL};
    struct parse r;

    (void)state;
    run(&r, A, 0, args);
    assert_int_equal(r.n, 6);
    assert_int_equal(r.rc[0], OPT_OPTION);
    assert_int_equal(r.row[0], R_FILE);
    assert_string_equal(r.value[0], "-v"); /* the next argument, whatever it is */
    assert_string_equal(r.value[1], "a=b");
    assert_string_equal(r.value[2], "");
    assert_int_equal(r.row[3], R_FLAG);
    assert_null(r.value[3]);
    assert_int_equal(r.row[4], R_HELP);
    assert_int_equal(r.rc[5], OPT_END);
}

static void test_operands(void **state)
{
    const char *args[] = {"dir", "--dry-run", NULL};
    const char *dash[] = {"-", NULL};
    const char *after[] = {"--", "--dry-run", NULL};
    const char *two[] = {"dir", "more", NULL};
    struct parse r;

    (void)state;
    run(&r, A, 1, args);
    assert_int_equal(r.rc[0], OPT_OPERAND);
    assert_string_equal(r.value[0], "dir");
    assert_int_equal(r.rc[1], OPT_OPTION);
    assert_int_equal(r.rc[2], OPT_END);
    run(&r, A, 1, dash);
    assert_int_equal(r.rc[0], OPT_OPERAND);
    assert_string_equal(r.value[0], "-");
    run(&r, A, 1, after);
    assert_int_equal(r.rc[0], OPT_OPERAND);
    assert_string_equal(r.value[0], "--dry-run");
    run(&r, A, 1, two);
    assert_int_equal(r.rc[1], OPT_EUSAGE);
    assert_string_equal(r.err, "unexpected argument 'more' (see prog a --help)");
    run(&r, A, 0, two);
    assert_int_equal(r.rc[0], OPT_EUSAGE);
    assert_string_equal(r.err, "unexpected argument 'dir' (see prog a --help)");
}

static void test_refused(void **state)
{
    const char *unknown[] = {"--bogus=secret", NULL};
    const char *flag[] = {"--dry-run=0", NULL};
    const char *missing[] = {"--file", NULL};
    const char *other[] = {"--only-b", "1", NULL};
    const char *shorts[] = {"-x", NULL};
    const char *joined[] = {"-hh", NULL};
    struct parse r;

    (void)state;
    run(&r, A, 0, unknown);
    assert_int_equal(r.rc[0], OPT_EUSAGE);
    assert_string_equal(r.err, "unknown option '--bogus' (see prog a --help)");
    run(&r, A, 0, flag);
    assert_string_equal(r.err, "--dry-run takes no value (see prog a --help)");
    run(&r, A, 0, missing);
    assert_string_equal(r.err, "--file needs FILE (see prog a --help)");
    run(&r, A, 0, other); /* a row of command b only */
    assert_string_equal(r.err, "unknown option '--only-b' (see prog a --help)");
    run(&r, B, 0, other);
    assert_int_equal(r.rc[0], OPT_OPTION);
    assert_int_equal(r.row[0], R_BONLY);
    run(&r, A, 0, shorts);
    assert_string_equal(r.err, "unknown option '-x' (see prog a --help)");
    run(&r, A, 0, joined);
    assert_string_equal(r.err, "unknown option '-hh' (see prog a --help)");
}

/* A program's own row struct that begins with the engine's row. */
struct wide {
    struct opt_row row;
    int extra;
};

static void test_stride(void **state)
{
    static const struct wide wrows[] = {{{"one", 0, NULL, NULL, NULL, A, "1"}, 11},
                                        {{"two", 0, "N", NULL, NULL, A, "2"}, 22}};
    static const struct opt_table wt = {wrows, 2, sizeof(wrows[0]), names, 2};
    const char *args[] = {"--two", "5", NULL};
    struct opt_parser p;
    const char *v = NULL;
    size_t k = 9;
    char err[100];

    (void)state;
    assert_string_equal(opt_row_at(&wt, 1)->name, "two");
    opt_parser_init(&p, &wt, A, "w", 0, 2, (char **)args);
    assert_int_equal(opt_next(&p, &k, &v, err, sizeof(err)), OPT_OPTION);
    assert_int_equal(k, 1);
    assert_int_equal(((const struct wide *)(const void *)opt_row_at(&wt, k))->extra, 22);
    assert_string_equal(v, "5");
    assert_int_equal(opt_next(&p, &k, &v, err, sizeof(err)), OPT_END);
    assert_int_equal(opt_next(&p, &k, &v, err, sizeof(err)), OPT_END);
}

/* What f(table) printed, in a static buffer. */
static const char *printed(void (*f)(FILE *, const struct opt_table *, unsigned), unsigned cmd)
{
    static char buf[2048];
    FILE *m = fmemopen(buf, sizeof(buf), "w");

    assert_non_null(m);
    f(m, &table, cmd);
    fputc('\0', m);
    assert_int_equal(fclose(m), 0);
    return buf;
}

static void man_of(FILE *f, const struct opt_table *t, unsigned cmd)
{
    (void)cmd;
    opt_man(f, t);
}

static void test_text(void **state)
{
    (void)state;
    assert_string_equal(printed(opt_help, A), "  --file FILE\n      a file\n"
                                              "      env T_FILE, default x.txt\n"
                                              "  --dry-run\n      change nothing\n      env T_DRY\n"
                                              "  -h, --help\n      this help\n");
    assert_non_null(strstr(printed(opt_help, B), "  --only-b N\n      b's own\n      default 3\n"));
    assert_string_equal(printed(man_of, 0), ".TP\n.BI \"\\-\\-file\" \" FILE\"\na file.\n"
                                            "(all commands; env T_FILE; default x.txt)\n"
                                            ".TP\n.B \"\\-\\-dry\\-run\"\nchange nothing.\n"
                                            "(all commands; env T_DRY)\n"
                                            ".TP\n.B \"\\-h, \\-\\-help\"\nthis help.\n"
                                            "(all commands)\n"
                                            ".TP\n.BI \"\\-\\-only\\-b\" \" N\"\nb's own.\n"
                                            "(b; default 3)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),  cmocka_unit_test(test_operands),
        cmocka_unit_test(test_refused), cmocka_unit_test(test_stride),
        cmocka_unit_test(test_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
