package ckpt_test

import (
	"fmt"
	"log"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
)

func ExampleOpen() {
	r, err := ckpt.Open("../../testdata/ckpt/lightning2.ckpt")
	if err != nil {
		log.Fatal(err)
	}
	epoch, _ := r.Lookup("epoch")
	hmean, _ := r.Lookup("cleval_metrics", "hmean")
	fmt.Println(r.Format, r.ArchiveRoot, epoch, hmean)
	for _, cb := range ckpt.Summarize(r).Callbacks {
		fmt.Println(cb.Class, cb.Monitor, cb.Mode, cb.BestScore)
	}
	// Output:
	// zip archive 7 0.8076923076923077
	// EarlyStopping val/loss min 0.25
	// ModelCheckpoint val/hmean max 0.8125
}
