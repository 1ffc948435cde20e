package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCommandAndFlagsFindsTheSubcommandAfterGlobalFlags(t *testing.T) {
	command, flags := commandAndFlags([]string{
		"--root", "/run/containerd/runc/k8s.io", "--log", "/x/log.json", "--systemd-cgroup",
		"create", "--bundle", "/b", "--pid-file", "/b/pid", "id"})
	if command != "create" || flags["bundle"] != "/b" {
		t.Fatalf("got %q %v", command, flags)
	}
	command, flags = commandAndFlags([]string{"exec", "--process=/p.json", "-d", "id"})
	if command != "exec" || flags["process"] != "/p.json" {
		t.Fatalf("got %q %v", command, flags)
	}
	command, flags = commandAndFlags([]string{"--debug", "run", "-b", "/c", "id"})
	if command != "run" || flags["bundle"] != "/c" {
		t.Fatalf("got %q %v", command, flags)
	}
}

func TestCreateDropsCapSysResourceAndClampsNegativeOomScoreAdj(t *testing.T) {
	bundle := t.TempDir()
	spec := `{"ociVersion":"1.0.2","process":{"oomScoreAdj":-997,"capabilities":{
		"bounding":["CAP_CHOWN","CAP_SYS_RESOURCE","CAP_KILL"],"effective":["CAP_SYS_RESOURCE"],
		"permitted":["CAP_CHOWN"]}},"root":{"path":"rootfs"}}`
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := patchFor([]string{"--root", "/r", "create", "--bundle", bundle, "id"}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	data, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	process := got["process"].(map[string]any)
	if process["oomScoreAdj"].(float64) != 0 {
		t.Errorf("oomScoreAdj = %v, want 0", process["oomScoreAdj"])
	}
	capabilities := process["capabilities"].(map[string]any)
	want := map[string][]any{
		"bounding":  {"CAP_CHOWN", "CAP_KILL"},
		"effective": {},
		"permitted": {"CAP_CHOWN"},
	}
	for set, list := range want {
		if !reflect.DeepEqual(capabilities[set], list) {
			t.Errorf("%s = %v, want %v", set, capabilities[set], list)
		}
	}
	if got["root"].(map[string]any)["path"] != "rootfs" {
		t.Errorf("the rest of the spec changed: %v", got["root"])
	}
}

func TestExecPatchesItsProcessFileAndLeavesPositiveAdjustments(t *testing.T) {
	file := filepath.Join(t.TempDir(), "process.json")
	original := `{"args":["sh"],"oomScoreAdj":500,"capabilities":{"bounding":["CAP_KILL"]}}`
	if err := os.WriteFile(file, []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := patchFor([]string{"exec", "--process", file, "id"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	if string(data) != original {
		t.Errorf("a process that needs no change was rewritten: %s", data)
	}
	if err := os.WriteFile(file, []byte(`{"oomScoreAdj":-998}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := patchFor([]string{"exec", "-p", file, "id"}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(file)
	if string(data) != `{"oomScoreAdj":0}` {
		t.Errorf("got %s", data)
	}
}

func TestOtherCommandsTouchNothing(t *testing.T) {
	if err := patchFor([]string{"state", "id"}); err != nil {
		t.Fatal(err)
	}
	if err := patchFor([]string{"--version"}); err != nil {
		t.Fatal(err)
	}
}
