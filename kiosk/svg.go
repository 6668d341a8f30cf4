package kiosk

import (
	"fmt"
	"image"
	"strings"
)

// QRSVG returns the QR code of r.URL as an SVG document: black modules on
// white with the 4-module quiet zone, one unit per module, for a screen to
// show at any size (the kiosk's "scan it with your phone" and its browser
// print of the ticket).
func (r Receipt) QRSVG() (string, error) {
	img, err := r.QRImage("M")
	if err != nil {
		return "", err
	}
	return svgOf(img, false), nil
}

// BarcodeSVG returns the CODE128 barcode of r.Barcode as an SVG document one
// unit high that stretches to the box it is drawn in.
func (r Receipt) BarcodeSVG() (string, error) {
	img, err := r.BarcodeImage(1, 1)
	if err != nil {
		return "", err
	}
	return svgOf(img, true), nil
}

// svgOf draws the black pixels of img as one path, a run of pixels per
// rectangle. stretch lets the drawing fill its box in both directions.
func svgOf(img *image.Gray, stretch bool) string {
	b := img.Bounds()
	var d strings.Builder
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; {
			if img.GrayAt(x, y).Y >= 0x80 {
				x++
				continue
			}
			start := x
			for x < b.Max.X && img.GrayAt(x, y).Y < 0x80 {
				x++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", start-b.Min.X, y-b.Min.Y, x-start, x-start)
		}
	}
	aspect := ""
	if stretch {
		aspect = ` preserveAspectRatio="none"`
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d"%s shape-rendering="crispEdges">`+
		`<rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="%s"/></svg>`, b.Dx(), b.Dy(), aspect, d.String())
}
