// libffi, for calling plugin check functions whose C signature is known only at run
// time (the parameters a check declares). libffi's `ffi_type_*` descriptors are mutable
// C globals, which Swift 6 refuses to touch; these accessors hand out their addresses.
#include <ffi.h>

static inline ffi_type *hh_ffi_type_pointer(void) { return &ffi_type_pointer; }
static inline ffi_type *hh_ffi_type_sint32(void) { return &ffi_type_sint32; }
static inline ffi_type *hh_ffi_type_sint64(void) { return &ffi_type_sint64; }
static inline ffi_type *hh_ffi_type_double(void) { return &ffi_type_double; }
static inline ffi_type *hh_ffi_type_uint8(void) { return &ffi_type_uint8; }
