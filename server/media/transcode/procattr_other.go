//go:build !linux

package transcode

import "os/exec"

// setProcAttr does nothing here: parent-death signals are Linux-only.
func setProcAttr(*exec.Cmd) {}

func lockThread() func() { return func() {} }
