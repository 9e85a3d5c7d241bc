// DLPack export (__dlpack__, __dlpack_device__) and import (from_dlpack): zero-copy exchange with numpy,
// PyTorch and JAX. The exported capsule keeps the tensor's storage alive until the consumer frees it.
#include "python/dlpack.h"

#include "core/error.h"
#include "python/convert.h"

namespace pygrad::python {

namespace {

struct ExportContext {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
};

PgDLDataType to_dl_dtype(DType d) {
  const uint8_t bits = static_cast<uint8_t>(8 * dtype_size(d));
  switch (d) {
    case DType::Bool: return {kPgDLBool, 8, 1};
    case DType::UInt8: return {kPgDLUInt, 8, 1};
    case DType::BFloat16: return {kPgDLBfloat, 16, 1};
    default: return {is_floating(d) ? kPgDLFloat : kPgDLInt, bits, 1};
  }
}

DType from_dl_dtype(PgDLDataType t) {
  PG_CHECK(t.lanes == 1, TypeError, "from_dlpack", "vector dtypes (lanes=", t.lanes, ") are not supported");
  for (int i = 0; i < kNumDTypes; ++i) {
    const PgDLDataType d = to_dl_dtype(static_cast<DType>(i));
    if (d.code == t.code && d.bits == t.bits) return static_cast<DType>(i);
  }
  PG_THROW(TypeError, "from_dlpack", "unsupported DLPack dtype (code ", int(t.code), ", ", int(t.bits),
           " bits); pygrad supports bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32 and float64");
}

void fill_dl_tensor(PgDLTensor& dl, ExportContext* ctx) {
  const Tensor& t = ctx->tensor;
  dl.data = t.raw_data();
  dl.device = {kPgDLCPU, 0};
  dl.ndim = static_cast<int32_t>(t.dim());
  dl.dtype = to_dl_dtype(t.dtype());
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  dl.byte_offset = 0;
}

void delete_legacy(PgDLManagedTensor* self) {
  delete static_cast<ExportContext*>(self->manager_ctx);
  delete self;
}
void delete_versioned(PgDLManagedTensorVersioned* self) {
  delete static_cast<ExportContext*>(self->manager_ctx);
  delete self;
}

// A capsule nobody consumed still owns its tensor.
void legacy_capsule_destructor(PyObject* capsule) {
  if (PyCapsule_IsValid(capsule, "dltensor")) {
    auto* managed = static_cast<PgDLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
    if (managed && managed->deleter) managed->deleter(managed);
  }
}
void versioned_capsule_destructor(PyObject* capsule) {
  if (PyCapsule_IsValid(capsule, "dltensor_versioned")) {
    auto* managed = static_cast<PgDLManagedTensorVersioned*>(PyCapsule_GetPointer(capsule, "dltensor_versioned"));
    if (managed && managed->deleter) managed->deleter(managed);
  }
}

py::object export_dlpack(const Tensor& t, py::object stream, py::object max_version, py::object dl_device,
                         py::object copy) {
  PG_CHECK(!t.requires_grad(), RuntimeError, "__dlpack__",
           "can't export a tensor that requires grad; use tensor.detach()");
  PG_CHECK(t.device() == Device::CPU, RuntimeError, "__dlpack__", "only cpu tensors can be exported");
  PG_CHECK(copy.is_none() || !copy.cast<bool>(), ValueError, "__dlpack__", "copy=True is not supported; clone() first");
  auto* ctx = new ExportContext{t, t.shape(), t.strides()};
  bool versioned = false;
  if (!max_version.is_none()) versioned = max_version.cast<py::tuple>()[0].cast<int>() >= 1;
  if (versioned) {
    auto* managed = new PgDLManagedTensorVersioned{};
    managed->version = {1, 0};
    managed->manager_ctx = ctx;
    managed->deleter = &delete_versioned;
    managed->flags = 0;
    fill_dl_tensor(managed->dl_tensor, ctx);
    return py::reinterpret_steal<py::object>(
        PyCapsule_New(managed, "dltensor_versioned", versioned_capsule_destructor));
  }
  auto* managed = new PgDLManagedTensor{};
  managed->manager_ctx = ctx;
  managed->deleter = &delete_legacy;
  fill_dl_tensor(managed->dl_tensor, ctx);
  return py::reinterpret_steal<py::object>(PyCapsule_New(managed, "dltensor", legacy_capsule_destructor));
}

Tensor import_capsule(py::handle capsule) {
  PgDLTensor* dl = nullptr;
  std::shared_ptr<void> owner;
  if (PyCapsule_IsValid(capsule.ptr(), "dltensor_versioned")) {
    auto* managed = static_cast<PgDLManagedTensorVersioned*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor_versioned"));
    PG_CHECK(managed->version.major == 1, TypeError, "from_dlpack", "unsupported DLPack major version ",
             managed->version.major);
    dl = &managed->dl_tensor;
    owner = std::shared_ptr<void>(managed, [](void* p) {
      auto* m = static_cast<PgDLManagedTensorVersioned*>(p);
      py::gil_scoped_acquire gil;  // producers such as numpy release Python objects in their deleter
      if (m->deleter) m->deleter(m);
    });
    PyCapsule_SetName(capsule.ptr(), "used_dltensor_versioned");
  } else if (PyCapsule_IsValid(capsule.ptr(), "dltensor")) {
    auto* managed = static_cast<PgDLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
    dl = &managed->dl_tensor;
    owner = std::shared_ptr<void>(managed, [](void* p) {
      auto* m = static_cast<PgDLManagedTensor*>(p);
      py::gil_scoped_acquire gil;
      if (m->deleter) m->deleter(m);
    });
    PyCapsule_SetName(capsule.ptr(), "used_dltensor");
  } else {
    PG_THROW(TypeError, "from_dlpack", "expected an unconsumed DLPack capsule or an object with __dlpack__");
  }
  PG_CHECK(dl->device.device_type == kPgDLCPU || dl->device.device_type == kPgDLCUDAHost, RuntimeError, "from_dlpack",
           "only cpu tensors can be imported (device type ", dl->device.device_type, ")");
  DType dtype = from_dl_dtype(dl->dtype);
  Shape shape(dl->shape, dl->shape + dl->ndim);
  Shape strides = dl->strides ? Shape(dl->strides, dl->strides + dl->ndim) : contiguous_strides(shape);
  int64_t extent = 0;
  if (checked_numel(shape, "from_dlpack") > 0) {
    extent = 1;
    for (int32_t d = 0; d < dl->ndim; ++d) {
      PG_CHECK(strides[d] >= 0, ValueError, "from_dlpack", "negative strides are not supported");
      extent += (shape[d] - 1) * strides[d];
    }
  }
  auto impl = std::make_shared<TensorImpl>();
  void* data = static_cast<char*>(dl->data) + dl->byte_offset;
  impl->storage = Storage::wrap(data, static_cast<size_t>(extent) * dtype_size(dtype), Device::CPU, owner);
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = dtype;
  impl->version = std::make_shared<VersionCounter>();
  return Tensor(std::move(impl));
}

}  // namespace

void bind_dlpack(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<Tensor>>(m.attr("Tensor"));
  cls.def("__dlpack__", &export_dlpack, py::kw_only(), py::arg("stream") = py::none(),
          py::arg("max_version") = py::none(), py::arg("dl_device") = py::none(), py::arg("copy") = py::none());
  cls.def("__dlpack_device__", [](const Tensor&) { return py::make_tuple(static_cast<int>(kPgDLCPU), 0); });
  m.def("from_dlpack", [](py::object source) {
    if (py::isinstance<Tensor>(source)) return source.cast<Tensor>();
    if (PyCapsule_CheckExact(source.ptr())) return import_capsule(source);
    PG_CHECK(py::hasattr(source, "__dlpack__"), TypeError, "from_dlpack", "expected an object with __dlpack__, got ",
             std::string(py::str(py::type::of(source))));
    py::object capsule;
    try {
      capsule = source.attr("__dlpack__")(py::arg("max_version") = py::make_tuple(1, 0));
    } catch (const py::error_already_set& e) {
      if (!e.matches(PyExc_TypeError)) throw;
      capsule = source.attr("__dlpack__")();
    }
    return import_capsule(capsule);
  });
}

}  // namespace pygrad::python
