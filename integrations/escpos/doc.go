// Package escpos drives ESC/POS ticket printers: our own encoder (Epson
// ESC/POS as implemented by most 58/80 mm thermal printers), CP866 text for
// Cyrillic, native (GS ( k) or raster (GS v 0) QR codes, CODE128 barcodes,
// DLE EOT status queries, and two transports: raw TCP (port 9100) and a
// serial port, both behind Conn.
//
// Printer implements kiosk.Printer. What differs between printer models (code
// page number, QR mode, paper width, cut command) comes from a
// firmware-profiles printer profile, not from code.
//
// Real-time commands: a printer executes DLE EOT (10 04 n), DLE ENQ and
// DLE DC4 even inside the data of other commands. The encoder never produces
// them by accident: text has control characters replaced, barcodes use code
// set B (ASCII digits), and raster data containing such a sequence is refused
// (a QR code drawn with modules of two or more dots cannot contain one).
package escpos
