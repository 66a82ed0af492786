/*  herd_json - print Places JSON in Google's legacy Nearby Search layout  */

#include "herd_json.h"
#include "herd_buf.h"

#include <czmq.h>
#include <math.h>

//  A Places answer is a few KiB: one allocation for most.
#define S_TEXT_FIRST 8192

static void
s_add_str (herd_buf_t *text, const char *data)
{
    herd_buf_append (text, data, strlen (data));
}

static void
s_indent (herd_buf_t *text, int depth)
{
    for (int i = 0; i < depth; i++)
        herd_buf_append (text, "   ", 3);
}

static void
s_string (herd_buf_t *text, const char *value)
{
    herd_buf_append (text, "\"", 1);
    for (const unsigned char *at = (const unsigned char *) value; *at; at++) {
        //  A run of bytes that need no escape, in one copy
        const unsigned char *end = at;
        while (*end >= 0x20 && *end != '"' && *end != '\\')
            end++;
        if (end > at) {
            herd_buf_append (text, (const char *) at, (size_t) (end - at));
            at = end;
            if (!*at)
                break;
        }
        switch (*at) {
            case '"':
                herd_buf_append (text, "\\\"", 2);
                break;
            case '\\':
                herd_buf_append (text, "\\\\", 2);
                break;
            case '\n':
                herd_buf_append (text, "\\n", 2);
                break;
            case '\r':
                herd_buf_append (text, "\\r", 2);
                break;
            case '\t':
                herd_buf_append (text, "\\t", 2);
                break;
            case '\b':
                herd_buf_append (text, "\\b", 2);
                break;
            case '\f':
                herd_buf_append (text, "\\f", 2);
                break;
            default:
                if (*at < 0x20) {
                    char escape[8];
                    snprintf (escape, sizeof (escape), "\\u%04x", *at);
                    s_add_str (text, escape);
                } else
                    herd_buf_append (text, (const char *) at, 1);
        }
    }
    herd_buf_append (text, "\"", 1);
}

//  Shortest %g precision that reads back exactly; JSON has no NaN or
//  infinity, so those become null.  A decimal of at most 15 significant
//  digits survives a round trip through a double, so if any precision up
//  to 15 reads back, %.15g (which drops trailing zeros) prints that same
//  shortest form: 15, then 16, then 17 are the only ones to try, rather
//  than every precision from 1 (a Places answer has hundreds of numbers).
static void
s_number (herd_buf_t *text, double value)
{
    if (isnan (value) || isinf (value)) {
        s_add_str (text, "null");
        return;
    }
    char buffer[40];
    //  Whole numbers as integers: %g would write 120 as 1.2e+02
    if (value == floor (value) && fabs (value) < 9007199254740992.0) {
        snprintf (buffer, sizeof (buffer), "%.0f", value);
        s_add_str (text, buffer);
        return;
    }
    for (int precision = 15; precision <= 17; precision++) {
        snprintf (buffer, sizeof (buffer), "%.*g", precision, value);
        if (strtod (buffer, NULL) == value)
            break;
    }
    s_add_str (text, buffer);
}

static void
s_item (herd_buf_t *text, const cJSON *item, int depth)
{
    if (cJSON_IsObject (item) || cJSON_IsArray (item)) {
        bool object = cJSON_IsObject (item);
        const cJSON *child = item->child;
        if (!child) {
            s_add_str (text, object ? "{}" : "[]");
            return;
        }
        s_add_str (text, object ? "{\n" : "[\n");
        for (; child; child = child->next) {
            s_indent (text, depth + 1);
            if (object) {
                s_string (text, child->string ? child->string : "");
                herd_buf_append (text, " : ", 3);
            }
            s_item (text, child, depth + 1);
            s_add_str (text, child->next ? ",\n" : "\n");
        }
        s_indent (text, depth);
        s_add_str (text, object ? "}" : "]");
    } else if (cJSON_IsString (item))
        s_string (text, item->valuestring ? item->valuestring : "");
    else if (cJSON_IsNumber (item))
        s_number (text, item->valuedouble);
    else if (cJSON_IsBool (item))
        s_add_str (text, cJSON_IsTrue (item) ? "true" : "false");
    else
        s_add_str (text, "null");
}

char *
herd_json_print (const cJSON *item, size_t *size_p)
{
    herd_buf_t *text = herd_buf_new ();
    herd_buf_reserve (text, S_TEXT_FIRST);
    s_item (text, item, 0);
    char *data = herd_buf_detach (text, size_p);
    herd_buf_destroy (&text);
    return data;
}

cJSON *
herd_json_response (const char *status, const char *message)
{
    //  Members in Google's order, which is alphabetical
    cJSON *root = cJSON_CreateObject ();
    if (message)
        cJSON_AddStringToObject (root, "error_message", message);
    cJSON_AddItemToObject (root, "html_attributions", cJSON_CreateArray ());
    cJSON_AddItemToObject (root, "results", cJSON_CreateArray ());
    cJSON_AddStringToObject (root, "status", status);
    return root;
}

void
herd_json_cut (cJSON *root, size_t bound)
{
    cJSON *results = cJSON_GetObjectItemCaseSensitive (root, "results");
    if (!cJSON_IsArray (results))
        return;
    while ((size_t) cJSON_GetArraySize (results) > bound)
        cJSON_DeleteItemFromArray (results, cJSON_GetArraySize (results) - 1);
}
