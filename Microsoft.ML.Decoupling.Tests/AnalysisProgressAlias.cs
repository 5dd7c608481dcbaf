// The library's progress tuple under the library's own name (see Microsoft.ML.Decoupling/Analysis/AnalysisProgress.cs).
global using AnalysisProgress = (string Step, long Done, long? Total);
