// common/wire: the tunnel protocol as sans-IO state machines.
//
// No sockets, threads, clocks or globals: callers feed bytes in, take bytes
// out, and pass the time in. The agent drives these from libuv, the relay
// from Asio. Public face of the module: include this header only.
#pragma once

#include "common/wire/backoff.h"
#include "common/wire/frame_codec.h"
#include "common/wire/liveness.h"
#include "common/wire/multiplexer.h"
#include "common/wire/wire_error.h"
