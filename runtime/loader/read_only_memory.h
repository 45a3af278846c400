// Which tensor memory must never be written: the external-data files the loader maps read-only
// (a private writable mapping would be charged as committed memory, which a model larger than
// RAM + swap cannot get). A pass that folds into an initializer in place asks here first.
#pragma once

#include <cstddef>

namespace onnxi::loader {

// Whether [p, p + bytes) overlaps a read-only mapping the loader made and still holds.
bool in_read_only_mapping(const void* p, size_t bytes) noexcept;

// Called by the loader when it maps and unmaps such a file.
void note_read_only_mapping(const void* base, size_t bytes, bool mapped) noexcept;

}  // namespace onnxi::loader
