// Package profiles holds device protocol profiles as data: one JSON file per
// device model, embedded into the binary, plus the loader that reads and
// validates them. A profile records the commands and parameters that vary
// between firmwares (code page number, QR mode, cut command, paper width),
// and where each fact comes from (the "source" field), so that adding a
// device whose commands fit the existing adapters needs a JSON file and no
// code change.
//
// The folder is named firmware-profiles; import it as
//
//	profiles "github.com/talon-queue/talon/firmware-profiles"
//
// Printer profiles live in printers/*.json (see Printer), LED window display
// profiles in displays/*.json (see Display). The package knows nothing about
// how bytes are encoded: integrations/escpos and integrations/leddisplay do
// that.
package profiles
