// The one source of a precompiled-header host target (cmake/HelplinePch.cmake).
