// DLPack ABI structs (the open DLPack specification, v1.0), declared here so no extra header is needed.
#pragma once
#include <cstdint>

extern "C" {

enum PgDLDeviceType : int32_t { kPgDLCPU = 1, kPgDLCUDA = 2, kPgDLCUDAHost = 3 };
enum PgDLDataTypeCode : uint8_t { kPgDLInt = 0, kPgDLUInt = 1, kPgDLFloat = 2, kPgDLBfloat = 4, kPgDLBool = 6 };

struct PgDLDevice {
  int32_t device_type;
  int32_t device_id;
};
struct PgDLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};
struct PgDLTensor {
  void* data;
  PgDLDevice device;
  int32_t ndim;
  PgDLDataType dtype;
  int64_t* shape;
  int64_t* strides;
  uint64_t byte_offset;
};
struct PgDLManagedTensor {
  PgDLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(PgDLManagedTensor* self);
};
struct PgDLPackVersion {
  uint32_t major;
  uint32_t minor;
};
struct PgDLManagedTensorVersioned {
  PgDLPackVersion version;
  void* manager_ctx;
  void (*deleter)(PgDLManagedTensorVersioned* self);
  uint64_t flags;
  PgDLTensor dl_tensor;
};
constexpr uint64_t kPgDLFlagReadOnly = 1;

}  // extern "C"
