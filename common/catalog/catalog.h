// common/catalog: the signed remediation catalog. Public face of the module;
// include this header only. docs/catalog.md describes the format.
//
//   catalog TOML --parse_catalog_toml--> v1::Catalog --sign_catalog--> v1::SignedCatalog
//   v1::SignedCatalog --verify_signed_catalog(pinned key)--> v1::Catalog (validated)
//   v1::Action + request parameters --prepare_action(HostFacts)--> argv to spawn
//
// Everything here is a plain function over values (no threads, no globals).
// Only SystemHostFacts (host_facts.h) looks at the file system, the user
// database and /proc, and only when a caller hands it to prepare_action.
//
// Errors: every function returns Result. Catalog structure problems are
// "bad_catalog" with a message naming the action and the field
// ("catalog.toml: action dns.flush_cache: argv[0]: must be an absolute
// path"). Parameter refusals carry the rule as the error code
// ("shell_metacharacter", "path_traversal", ...; see params.h) and a message
// naming the action and the parameter.
#pragma once

#include "common/catalog/catalog_toml.h"
#include "common/catalog/describe.h"
#include "common/catalog/host_facts.h"
#include "common/catalog/params.h"
#include "common/catalog/signing.h"
#include "common/catalog/validate.h"
