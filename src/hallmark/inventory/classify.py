"""Classify a file as model, dataset, code, document or other, from its name alone."""

from __future__ import annotations

MODEL_SUFFIXES = frozenset({
    ".safetensors", ".gguf", ".ggml", ".onnx", ".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle",
    ".joblib", ".h5", ".keras", ".tflite", ".pb", ".mlmodel", ".msgpack", ".npz", ".pdparams",
})
DATASET_SUFFIXES = frozenset({
    ".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".arrow", ".ipc", ".feather", ".avro",
    ".orc", ".tfrecord", ".npy",
})
CODE_SUFFIXES = frozenset({
    ".py", ".pyi", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java",
    ".kt", ".scala", ".c", ".h", ".cc", ".cpp", ".hpp", ".cu", ".cuh", ".rb", ".php", ".swift",
    ".m", ".r", ".jl", ".sh", ".bash", ".zsh", ".ps1", ".sql", ".lua", ".pl", ".cs", ".fs",
})
CODE_NAMES = frozenset({
    "makefile", "dockerfile", "cmakelists.txt", "pyproject.toml", "setup.py", "setup.cfg",
    "package.json", "cargo.toml", "go.mod", "pom.xml", "build.gradle", "license", "licence",
    "copying", "copying.lesser", "license.md", "license.txt", "licence.md", "licence.txt",
})
DOCUMENT_SUFFIXES = frozenset({
    ".md", ".rst", ".txt", ".pdf", ".docx", ".doc", ".odt", ".rtf", ".html", ".htm", ".tex",
    ".pptx", ".xlsx",
})


def classify(name: str) -> str:
    """The asset kind a file name suggests: model, dataset, code, document or other."""
    lower = name.lower()
    suffix = lower[lower.rfind("."):] if "." in lower else ""
    if lower in CODE_NAMES or (lower.startswith("requirements") and lower.endswith(".txt")):
        return "code"
    if suffix in MODEL_SUFFIXES:
        return "model"
    if suffix in DATASET_SUFFIXES:
        return "dataset"
    if suffix in CODE_SUFFIXES:
        return "code"
    if suffix in DOCUMENT_SUFFIXES:
        return "document"
    return "other"
