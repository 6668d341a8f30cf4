// Package kiosk owns the applicant's side of getting a ticket: the issuing
// and check-in flow, the layout of the printed ticket (Receipt and its Lines),
// and the QR and barcode images shown on screen or rasterised for printers.
//
// It declares Printer, the port a ticket printer adapter implements
// (integrations/escpos is one), together with PrinterStatus and PrintError,
// whose stable codes say why a ticket was not confirmed as printed. A ticket
// counts as printed only when the printer reported itself ready before the
// job and again after the cut; silence is "unknown", never "ready".
//
// NewReceipt lays a ticket out from the engine's queue.Printable. PrintJob
// and PrintResult are the wire form of a print on a printer a device agent
// drives (the server sends the job over the office feed), and Print runs a
// job on any Printer and reports how it went.
package kiosk
