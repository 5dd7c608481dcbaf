// The progress the analyses report through IProgress<T>: the step ("paths", "k-NN", "t-SNE", "path tree", "thresholds",
// "concepts", "report"), how much of it is done, and its total when known. A tuple, so that a caller names no type of ours:
// new Progress<(string Step, long Done, long? Total)>(p => ...).
global using AnalysisProgress = (string Step, long Done, long? Total);
