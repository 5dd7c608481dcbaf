namespace Microsoft.ML.Decoupling.Transforms;

public sealed partial class DecoupleNetworkEstimator
{
    public sealed partial class Options
    {
        /// <summary>
        /// Settings for a few epochs from scratch (the API snippet's): λm 0.5, λs 0.05 and R 0.5, so that paths become
        /// input-dependent within the budget. The paper's defaults (this class's) assume hundreds of epochs from a
        /// pretrained network; R = 0.5 follows the paper's ImageNet settings (Table 5), the larger λm and λs are ours.
        /// </summary>
        public static Options ForShortTraining() => new()
        {
            MutualInformationWeight = 0.5,
            SparsityWeight = 0.05,
            TargetRatio = 0.5,
        };

        /// <summary>
        /// The recipe for dynamic, informative calculation paths within a short budget (the interpretation example's):
        /// 4 epochs of dense pretraining (the paper's initialisation), then 4 epochs of decoupling with λm 0.5, λs 0.05
        /// ramped in over the first 2 decoupling epochs, and R 0.5. Chosen by the recipe sweep (BENCHMARKS.md, "Paths worth
        /// having"): on Fashion-MNIST it keeps about three quarters of the gated filters input-dependent at 2.6× fewer FLOPs,
        /// where the paper's settings leave them static at this budget; it costs about 3 points of test accuracy against the
        /// dense network trained as long. <see cref="ForAccurateDynamicPaths"/> closes that gap at 2.5 times the epochs.
        /// The paper is silent on schedules; the warm-up and the weights are ours.
        /// </summary>
        public static Options ForDynamicPaths() => new()
        {
            DensePretrainingEpochs = 4,
            Epochs = 4,
            MutualInformationWeight = 0.5,
            SparsityWeight = 0.05,
            SparsityWarmupEpochs = 2,
            TargetRatio = 0.5,
        };

        /// <summary>
        /// The recipe for dynamic paths at the dense network's accuracy (the Quickstart's): 8 epochs of dense pretraining,
        /// then 12 epochs of decoupling with λm 0.35, λs 0.05 ramped in over the first 2 decoupling epochs, and R 0.5.
        /// Chosen by the recipe sweep (BENCHMARKS.md, "λm between 0.25 and 0.5, and a 12-epoch decoupling stage"): on the
        /// first 20 000 Fashion-MNIST training images it came within about half a point of the dense network trained
        /// 20 epochs, at 2.6× fewer FLOPs, with about two thirds of the gated filters input-dependent and paths whose
        /// nearest neighbours share the class; a lower λm keeps more accuracy and fewer dynamic filters, a higher one the
        /// reverse. The paper trains far longer (its Table 5); the schedule, the warm-up and the weights are ours.
        /// </summary>
        public static Options ForAccurateDynamicPaths() => new()
        {
            DensePretrainingEpochs = 8,
            Epochs = 12,
            MutualInformationWeight = 0.35,
            SparsityWeight = 0.05,
            SparsityWarmupEpochs = 2,
            TargetRatio = 0.5,
        };
    }
}
