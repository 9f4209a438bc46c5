// zlib (zlib1g-dev), for the deflate step of HdrHistogram's compressed histogram encoding.
#include <zlib.h>
