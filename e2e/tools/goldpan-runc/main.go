// Command goldpan-runc is a test-harness wrapper around runc for hosts like the CI machine, whose
// capability bounding set lacks CAP_SYS_RESOURCE and which refuse a negative oom_score_adj
// (DESIGN §6). Docker's --privileged (Kind's nodes), privileged pods and Guaranteed-QoS pods ask for
// both, and runc then fails with "unable to apply caps" or "write oom_score_adj: permission
// denied". Before handing over to the real runc, this wrapper drops CAP_SYS_RESOURCE from every
// capability set and clamps a negative oomScoreAdj to 0, in the OCI bundle's config.json (create,
// run) and in exec's --process file. It is part of the test harness, never of the product.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// realRuncCandidates are tried in order; the first executable that is not this wrapper wins.
var realRuncCandidates = []string{"/usr/local/sbin/runc", "/usr/sbin/runc", "/usr/bin/runc", "/usr/local/bin/runc"}

const droppedCapability = "CAP_SYS_RESOURCE"

func main() {
	if err := patchFor(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "goldpan-runc: %v\n", err)
		os.Exit(1)
	}
	runc, err := realRunc()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goldpan-runc: %v\n", err)
		os.Exit(1)
	}
	args := append([]string{runc}, os.Args[1:]...)
	if err := syscall.Exec(runc, args, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "goldpan-runc: exec %s: %v\n", runc, err)
		os.Exit(1)
	}
}

// patchFor rewrites the files that the runc command in args will read.
func patchFor(args []string) error {
	command, flags := commandAndFlags(args)
	switch command {
	case "create", "run":
		bundle := flags["bundle"]
		if bundle == "" {
			bundle = "."
		}
		return patchFile(filepath.Join(bundle, "config.json"), patchSpec)
	case "exec":
		if process := flags["process"]; process != "" {
			return patchFile(process, patchProcess)
		}
	}
	return nil
}

// commandAndFlags finds runc's subcommand (the first argument that is not a flag or a flag's
// value) and the values of the --bundle/-b and --process/-p flags that follow it.
func commandAndFlags(args []string) (string, map[string]string) {
	// runc's global flags that take a value; all others are booleans.
	globalWithValue := map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true}
	flags := map[string]string{}
	command := ""
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if command == "" {
			if strings.HasPrefix(arg, "-") {
				if globalWithValue[arg] {
					i++
				}
				continue
			}
			command = arg
			continue
		}
		name, value, inline := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		switch name {
		case "bundle", "b":
			name = "bundle"
		case "process", "p":
			name = "process"
		default:
			continue
		}
		if !inline && i+1 < len(args) {
			i++
			value = args[i]
		}
		flags[name] = value
	}
	return command, flags
}

// patchFile applies patch to the JSON document in path and writes it back when it changed.
func patchFile(path string, patch func(map[string]any) bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var document map[string]any
	if err := json.Unmarshal(data, &document); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !patch(document) {
		return nil
	}
	out, err := json.Marshal(document)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, info.Mode().Perm())
}

// patchSpec patches an OCI runtime spec: its process, and the container's own oomScoreAdj.
func patchSpec(spec map[string]any) bool {
	changed := false
	if process, ok := spec["process"].(map[string]any); ok {
		changed = patchProcess(process)
	}
	return changed
}

// patchProcess patches an OCI process: capabilities without CAP_SYS_RESOURCE, oomScoreAdj >= 0.
func patchProcess(process map[string]any) bool {
	changed := false
	if capabilities, ok := process["capabilities"].(map[string]any); ok {
		for set, value := range capabilities {
			list, ok := value.([]any)
			if !ok {
				continue
			}
			kept := make([]any, 0, len(list))
			for _, capability := range list {
				if capability == droppedCapability {
					changed = true
					continue
				}
				kept = append(kept, capability)
			}
			capabilities[set] = kept
		}
	}
	if adj, ok := process["oomScoreAdj"].(float64); ok && adj < 0 {
		process["oomScoreAdj"] = 0
		changed = true
	}
	return changed
}

func realRunc() (string, error) {
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	for _, candidate := range realRuncCandidates {
		resolved, err := filepath.EvalSymlinks(candidate)
		if err != nil || resolved == self {
			continue
		}
		if info, err := os.Stat(resolved); err == nil && info.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("no runc found in %v", realRuncCandidates)
}
