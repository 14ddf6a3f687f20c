// Only SHA-256 is used: plugin files are identified by their digest. Nettle rather than
// OpenSSL's libcrypto: the same digest, a tenth of the resident memory (libcrypto's
// start-up alone kept 3.4 MB of the host resident).
#include <nettle/sha2.h>
