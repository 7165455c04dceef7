/*
 * mime.c - the extension -> Content-Type table for web assets.
 *
 * For: choosing the type origind stores with each published path. Text types
 * (text/..., JavaScript, JSON, XML, SVG, manifests, source maps) say
 * charset=utf-8, as build tools emit UTF-8.
 * Not for: sniffing content, or deciding compressibility (that is
 * store_type_compressible(), shared with the server).
 */
#include "mime.h"

#include <string.h>
#include <strings.h>

#define UTF8 "; charset=utf-8"

struct mime_row {
    const char *ext;
    const char *type;
};

/* Grouped for reading; looked up linearly (a few dozen rows, once per file). */
static const struct mime_row mime_table[] = {
    /* documents and code */
    {"html", "text/html" UTF8},
    {"htm", "text/html" UTF8},
    {"xhtml", "application/xhtml+xml" UTF8},
    {"css", "text/css" UTF8},
    {"js", "text/javascript" UTF8},
    {"mjs", "text/javascript" UTF8},
    {"cjs", "text/javascript" UTF8},
    {"jsx", "text/javascript" UTF8},
    {"json", "application/json" UTF8},
    {"map", "application/json" UTF8},
    {"jsonld", "application/ld+json" UTF8},
    {"webmanifest", "application/manifest+json" UTF8},
    {"txt", "text/plain" UTF8},
    {"text", "text/plain" UTF8},
    {"md", "text/markdown" UTF8},
    {"csv", "text/csv" UTF8},
    {"tsv", "text/tab-separated-values" UTF8},
    {"ics", "text/calendar" UTF8},
    {"vtt", "text/vtt" UTF8},
    {"srt", "text/plain" UTF8},
    {"xml", "application/xml" UTF8},
    {"xsl", "application/xml" UTF8},
    {"xslt", "application/xslt+xml" UTF8},
    {"rss", "application/rss+xml" UTF8},
    {"atom", "application/atom+xml" UTF8},
    {"svg", "image/svg+xml" UTF8},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    /* images */
    {"png", "image/png"},
    {"apng", "image/apng"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"jfif", "image/jpeg"},
    {"pjpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"jxl", "image/jxl"},
    {"heic", "image/heic"},
    {"ico", "image/vnd.microsoft.icon"},
    {"cur", "image/x-icon"},
    {"bmp", "image/bmp"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    /* fonts */
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"eot", "application/vnd.ms-fontobject"},
    /* audio and video */
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"webm", "video/webm"},
    {"ogv", "video/ogg"},
    {"mov", "video/quicktime"},
    {"m3u8", "application/vnd.apple.mpegurl"},
    {"ts", "video/mp2t"}, /* HLS segments; TypeScript is not served to browsers */
    {"mp3", "audio/mpeg"},
    {"m4a", "audio/mp4"},
    {"aac", "audio/aac"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"opus", "audio/ogg"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"weba", "audio/webm"},
    /* 3D, archives, misc */
    {"glb", "model/gltf-binary"},
    {"gltf", "model/gltf+json" UTF8},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"br", "application/octet-stream"},
    {"tar", "application/x-tar"},
    {"7z", "application/x-7z-compressed"},
    {"epub", "application/epub+zip"},
    {"swf", "application/x-shockwave-flash"},
    {"bin", "application/octet-stream"},
};

const char *ingest_mime_type(const char *name, size_t len)
{
    size_t i, start = 0, dot = (size_t)-1;

    for (i = 0; i < len; i++) {
        if (name[i] == '/') {
            start = i + 1;
            dot = (size_t)-1;
        } else if (name[i] == '.') {
            dot = i;
        }
    }
    /* No dot, a leading dot only (".htaccess"), or a trailing dot: no extension. */
    if (dot == (size_t)-1 || dot == start || dot + 1 >= len)
        return "application/octet-stream";
    for (i = 0; i < sizeof(mime_table) / sizeof(mime_table[0]); i++) {
        size_t el = strlen(mime_table[i].ext);

        if (el == len - dot - 1 && strncasecmp(name + dot + 1, mime_table[i].ext, el) == 0)
            return mime_table[i].type;
    }
    return "application/octet-stream";
}
