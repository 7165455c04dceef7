/*
 * mime.h - Content-Type of a published file from its extension.
 */
#ifndef ORIGIN_INGEST_MIME_H
#define ORIGIN_INGEST_MIME_H

#include <stddef.h>

/* The Content-Type for the file name name[0..len) (a base name or a path;
 * only the text after the last '.' of the last segment counts, compared
 * case-insensitively). Text types carry "; charset=utf-8". Unknown or no
 * extension: "application/octet-stream". Returns a static string. */
const char *ingest_mime_type(const char *name, size_t len);

#endif
