#pragma once

namespace ts::app {

// `tunnelscope send [options] URL`: one composed request sent through a private engine (so it
// goes through the chain given with --via, TLS to https origins included), the response
// printed to stdout. 0 on a response, 1 when there was none (the message names the hop that
// failed), 2 on bad arguments.
int runSend(int argc, char *argv[]);

} // namespace ts::app
