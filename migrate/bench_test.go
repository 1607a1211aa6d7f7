package migrate

import (
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

func BenchmarkMigrateBytes(b *testing.B) {
	src := readFixture(b, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	latest, err := MigrateBytes("x.metadata.yaml", src, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("1.0-to-latest", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := MigrateBytes("x.metadata.yaml", src, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("at-latest", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := MigrateBytes("x.metadata.yaml", latest.Data, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse-only", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			validate.Parse("x.metadata.yaml", src)
		}
	})
}
