// Shape and layout ops with torch's semantics: the index-map primitives (flip, roll, pad), the diagonal and
// window views, and tril/triu.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ops/ops.h"

namespace pygrad {

// A copy with each of `dims` reversed.
Tensor flip(const Tensor& x, const Dims& dims);
// Elements shifted by shifts[i] along dims[i], wrapping around; with no dims, along the flattened tensor.
Tensor roll(const Tensor& x, const Dims& shifts, const Dims& dims);
// torch.nn.functional.pad: `pad` lists (before, after) pairs from the last dim backwards; mode "constant"
// (fill `value`, negative pads crop), "reflect", "replicate" or "circular".
Tensor pad(const Tensor& x, const Dims& pad, const std::string& mode = "constant",
           std::optional<double> value = std::nullopt);
// pad's source index along one dim for each of its out_size outputs (-1: the fill); mode as PadParams.
std::vector<int64_t> pad_map(int64_t mode, int64_t before, int64_t size, int64_t out_size);
// The diagonal of the (dim1, dim2) planes as a view, appended as the last dim.
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
// Tensor.unfold: a view whose dim `dim` holds the windows' starts and a new last dim of length `size`.
Tensor unfold(const Tensor& x, int64_t dim, int64_t size, int64_t step);
// The lower (upper) triangle of the last two dims, the rest zero; `diagonal` shifts the boundary.
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);

}  // namespace pygrad
