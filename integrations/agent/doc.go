// Package agent is the device agent behind `talon agent`: a small process on
// a machine in the office, with the LED window displays wired to its serial
// ports. It follows the office's event stream over the server's websocket and
// keeps each display showing the ticket called to its window: blinking when
// it is called or recalled, steady a few seconds later, blank when the
// visit at that window ends or the window closes. It also prints the paper
// tickets of the kiosks whose ESC/POS printers hang on its serial ports
// (printer.go): it tells the server which kiosks those are in its hello, the
// server sends it their print jobs, and each printer's goroutine prints them
// one at a time and answers through the connection's writer, so a slow
// printer never holds up the displays.
//
// The agent keeps the Seq of the last event it has applied and reconnects
// with it (since) after any break, with backoff, so a server restart costs a
// catch-up, not a wrong display; a call it missed blinks only while the
// server would still announce it. The feed (web/ws.go) is decoded in
// wire.go only, so following a change of it touches one file; the views it
// carries are board.View, so their JSON cannot drift.
package agent
