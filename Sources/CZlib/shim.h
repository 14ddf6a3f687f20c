// zlib (Debian's zlib1g-dev): gzip bodies for span exports when
// OTEL_EXPORTER_OTLP_COMPRESSION=gzip. Present in every base image.
#include <zlib.h>
