// GNU readline and its history library, for the interactive console (libreadline-dev).
// readline.h uses FILE without including <stdio.h> itself, so stdio comes first.
#ifndef SOCKFUZZ_CREADLINE_SHIM_H
#define SOCKFUZZ_CREADLINE_SHIM_H

#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

#endif
