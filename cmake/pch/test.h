// Precompiled for test executables: GoogleTest and GoogleMock on top of the
// target's base set. See cmake/HelplinePch.cmake.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
