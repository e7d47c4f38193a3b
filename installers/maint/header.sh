#!/bin/sh
# Generated from installers/ by the packaging build; edit the parts there.
set -e
