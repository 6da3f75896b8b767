#pragma once

#include "core/http/fields.h"

// Small pieces of RFC 9110/9112 syntax shared by the parser and the message helpers: HTTP's
// own (core/http/fields.h), under the parser's names.
namespace ts::http1::syntax {

using http::isOws;
using http::trimOws;

} // namespace ts::http1::syntax
