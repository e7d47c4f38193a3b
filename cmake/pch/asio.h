// Precompiled for the relay's targets (server/, tests/unit/server): base.h
// plus Asio and Beast. Not asio/ssl.hpp: its error category would make
// every file of these targets need libssl at link time. See cmake/HelplinePch.cmake.
#pragma once

#include "cmake/pch/base.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
