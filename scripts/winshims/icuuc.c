/* Wine test-prefix stand-in for the Windows 10 1703+ system icuuc.dll (not bundled with imrdesk).
   Qt6Core.dll (Qt >= 6.7) imports ICU's ucnv_* converter API for non-UTF text codecs. Here no converter
   exists: opening one fails with U_FILE_ACCESS_ERROR and Qt falls back to its built-in UTF codecs. */
#include <stddef.h>

typedef int UErrorCode;
typedef unsigned short UChar;
typedef signed char UBool;
typedef struct UConverter UConverter;
#define U_FILE_ACCESS_ERROR 4
#define API __declspec(dllexport)

static void fail(UErrorCode *err)
{
    if (err && *err <= 0)
        *err = U_FILE_ACCESS_ERROR;
}

API UConverter *ucnv_open(const char *name, UErrorCode *err) { fail(err); return NULL; }
API void ucnv_close(UConverter *cnv) { }
API void ucnv_reset(UConverter *cnv) { }
API signed char ucnv_getMaxCharSize(const UConverter *cnv) { return 4; }
API const char *ucnv_getName(const UConverter *cnv, UErrorCode *err) { fail(err); return NULL; }
API const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *err) { fail(err); return NULL; }
API const char *ucnv_getAvailableName(int n) { return NULL; }
API int ucnv_countAvailable(void) { return 0; }
API int ucnv_countAliases(const char *alias, UErrorCode *err) { fail(err); return 0; }
API const char *ucnv_getAlias(const char *alias, unsigned short n, UErrorCode *err) { fail(err); return NULL; }
API void ucnv_getToUCallBack(const UConverter *cnv, void **action, const void **context)
{
    if (action) *action = NULL;
    if (context) *context = NULL;
}
API void ucnv_getFromUCallBack(const UConverter *cnv, void **action, const void **context)
{
    if (action) *action = NULL;
    if (context) *context = NULL;
}
API void ucnv_setToUCallBack(UConverter *cnv, void *action, const void *context, void **old_action,
                             const void **old_context, UErrorCode *err) { fail(err); }
API void ucnv_setFromUCallBack(UConverter *cnv, void *action, const void *context, void **old_action,
                               const void **old_context, UErrorCode *err) { fail(err); }
API void ucnv_cbToUWriteUChars(void *args, const UChar *source, int length, int offset, UErrorCode *err) { fail(err); }
API void ucnv_cbFromUWriteUChars(void *args, const UChar **source, const UChar *limit, int offset, UErrorCode *err) { fail(err); }
API void ucnv_toUnicode(UConverter *cnv, UChar **target, const UChar *target_limit, const char **source,
                        const char *source_limit, int *offsets, UBool flush, UErrorCode *err) { fail(err); }
API void ucnv_fromUnicode(UConverter *cnv, char **target, const char *target_limit, const UChar **source,
                          const UChar *source_limit, int *offsets, UBool flush, UErrorCode *err) { fail(err); }
API int ucnv_toUCountPending(const UConverter *cnv, UErrorCode *err) { fail(err); return 0; }
API int ucnv_fromUCountPending(const UConverter *cnv, UErrorCode *err) { fail(err); return 0; }
API void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const UChar *units, int length,
                                         int code_point, int reason, UErrorCode *err) { }
API void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const char *units, int length,
                                       int reason, UErrorCode *err) { }
