// Package leddisplay drives LED window displays: the number over an
// operator's window, on a serial line (usually RS-485, several displays on
// one pair of wires, each at its own address).
//
// Encode turns a firmware-profiles display profile, an address, an effect
// (show, blink, clear) and a text into the exact bytes of one frame; what
// differs between display families (framing, address format, charset,
// checksum) is data in the profile, not code.
//
// A Bus owns one serial port and the Displays on it. It remembers what each
// display should show, writes frames one at a time with the profile's pause
// between them, and survives the adapter being unplugged: a failed write or a
// device node that went away closes the port, the bus opens it again with
// backoff, and re-sends every display's current state when it is back. It
// also re-sends the state now and then, for displays that lose it when their
// own power blinks.
package leddisplay
