// Only SHA-256 is used: plugin files are identified by their digest.
#include <openssl/sha.h>
