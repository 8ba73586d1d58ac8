//go:build bindings

package main

// The Wails CLI builds the app with the bindings tag and runs it to learn
// the bound methods; nothing may start then.
const generatingBindings = true
