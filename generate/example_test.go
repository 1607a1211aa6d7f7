package generate_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/ckptmeta/ckptmeta/generate"
)

// Build reads a checkpoint and its run's Hydra config and renders a sidecar, without
// writing anything.
func ExampleBuild() {
	sc, err := generate.Build("../testdata/outputs/det_resnet50_v1/checkpoints/epoch=10-step=1133.ckpt", generate.Options{
		Version: "1.0",
		Now:     func() time.Time { return time.Date(2025, 10, 19, 13, 36, 50, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	lines := strings.Split(string(sc.Data), "\n")
	fmt.Println(strings.Join(lines[:10], "\n"))
	fmt.Println("...")
	fmt.Println(sc.Facts.Sources["model.architecture"], sc.Facts.Sources["training.epoch"])
	// Output:
	// schema_version: '1.0'
	// checkpoint_path: det_resnet50_v1/checkpoints/epoch=10-step=1133.ckpt
	// exp_name: det_resnet50_v1
	// created_at: '2025-10-19T13:36:50.000000+00:00'
	// training:
	//   epoch: 10
	//   global_step: 1133
	//   training_phase: training
	//   max_epochs: 100
	// model:
	// ...
	// hydra checkpoint
}
