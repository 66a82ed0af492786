/*  fuzz_places - what an upstream Places server may answer: any body, any
    status, for either provider, becomes a legacy response in shape  */

#include "herd_json.h"
#include "herd_provider.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    //  First byte: provider and status; second: bound; the rest: the body
    herd_provider_t provider =
        data[0] & 1 ? HERD_PROVIDER_GOOGLE : HERD_PROVIDER_GOOGLE_LEGACY;
    static const long statuses[] = {200, 200, 200, 400, 403, 429, 500, 302};
    long status = statuses[(data[0] >> 1) & 7];
    unsigned bound = data[1] % 21;
    cJSON *root = herd_provider_answer (
        provider, NULL, status, (const char *) data + 2, size - 2, bound);
    assert (cJSON_IsObject (root));
    assert (cJSON_IsString (cJSON_GetObjectItem (root, "status")));
    cJSON *results = cJSON_GetObjectItem (root, "results");
    assert (cJSON_IsArray (results));
    assert (cJSON_GetArraySize (results) <= (int) bound);
    size_t text_size;
    char *text = herd_json_print (root, &text_size);
    assert (text && text_size > 0 && text[0] == '{');
    free (text);
    cJSON_Delete (root);
    return 0;
}
