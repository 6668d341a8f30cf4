// Package serialport opens serial ports for the device adapters (ESC/POS
// printers, LED window displays). It is the one place that imports the serial
// library (tarm/serial), so a move to go.bug.st/serial touches this package
// only.
//
// tarm/serial has no deadlines and no modem lines: a read that times out
// returns n=0, and a port is named by its device path. Port adds deadlines on
// top of a short driver read timeout, and Replaced tells a caller that the
// device behind the name was unplugged or swapped, so it can open it again.
// Name ports by /dev/serial/by-id/… so that a replugged adapter keeps its
// name.
package serialport
