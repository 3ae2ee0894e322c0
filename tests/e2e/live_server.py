"""Serve the real app on a free loopback port for the browser tests.

Run as a script by ``conftest.py`` (``python tests/e2e/live_server.py``) with the
configuration in ``ASSESSMENT_*`` environment variables. The kernel picks the port (bind
to port 0), so no other process can take it between choosing and binding; the port is
printed as the first line of standard output once the socket is listening. SIGTERM or
SIGINT stops the server cleanly.
"""

from __future__ import annotations

import signal
import threading

from werkzeug.serving import make_server

from assessment.app import create_app

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def main() -> None:
    app = create_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Block the stop signals before starting the thread (it inherits the mask), so that
    # only sigwait below receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    print(server.server_port, flush=True)  # noqa: T201  (the parent reads this line)
    signal.sigwait(STOP_SIGNALS)
    server.shutdown()
    thread.join()
    server.server_close()


if __name__ == "__main__":
    main()
