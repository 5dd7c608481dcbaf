using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Training;

namespace Microsoft.ML.Decoupling.Transforms;

public sealed partial class DecoupleNetworkEstimator
{
    /// <summary>Options of <see cref="DecoupleNetworkEstimator"/>; defaults follow the paper (see each field).</summary>
    public sealed partial class Options
    {
        /// <summary>Input image column: known-size Vector&lt;Single&gt; of C·H·W values in [0, 1].</summary>
        public string FeatureColumnName { get; set; } = DecouplingColumnNames.Image;

        /// <summary>Input label column: a key type.</summary>
        public string LabelColumnName { get; set; } = DecouplingColumnNames.Label;

        /// <summary>Output column of class probabilities.</summary>
        public string ScoreColumnName { get; set; } = DecouplingColumnNames.Score;

        /// <summary>Output column of the predicted class (key, same key values as the label).</summary>
        public string PredictedLabelColumnName { get; set; } = DecouplingColumnNames.PredictedLabel;

        /// <summary>Output column of the calculation path (0/1 per gated filter, forward order).</summary>
        public string PathColumnName { get; set; } = DecouplingColumnNames.Path;

        /// <summary>
        /// Output column of the gated filters' responses: GAP(Y) of every gated filter before its gate, in path order (the y of
        /// the KL loss; a vector as long as the path). Continuous where the path is 0/1, and the better detector feature
        /// (BENCHMARKS.md, "Detector features"); not written for a network without gates.
        /// </summary>
        public string ResponsesColumnName { get; set; } = DecouplingColumnNames.Responses;

        /// <summary>
        /// Output column of the path deviation (<see cref="DecouplingColumnNames.PathDeviation"/>): per gated layer, then
        /// over the whole path, how far the responses lie from the clean training paths of the predicted class; the
        /// better detector feature beside the responses (BENCHMARKS.md, issue 16). Written for a network with gates when
        /// <see cref="DeviationCalibrationImages"/> is above 0.
        /// </summary>
        public string PathDeviationColumnName { get; set; } = DecouplingColumnNames.PathDeviation;

        /// <summary>
        /// Training images (evenly spaced over the training data) whose paths give the class statistics of
        /// <see cref="PathDeviationColumnName"/>, measured once after training (a forward pass over them); 0 writes no such
        /// column. Default 5 000, the Mahalanobis baseline's calibration size in the examples.
        /// </summary>
        public int DeviationCalibrationImages { get; set; } = DecoupleNetworkDefaults.DeviationCalibrationImages;

        /// <summary>
        /// Image channels C. An image column that carries its shape (ML.NET's ExtractPixels gives Vector&lt;Single, C, H, W&gt;)
        /// gives C, H and W itself; set values must agree with it.
        /// </summary>
        public int ImageChannels { get; set; } = DecoupleNetworkDefaults.ImageChannels;

        /// <summary>Image height H; 0 takes the column's shape, or infers a square image from the column size and <see cref="ImageChannels"/>.</summary>
        public int ImageHeight { get; set; }

        /// <summary>Image width W; 0 takes the column's shape, or infers a square image from the column size and <see cref="ImageChannels"/>.</summary>
        public int ImageWidth { get; set; }

        /// <summary>
        /// The network: <see cref="NetworkArchitecture.Vgg"/>, <see cref="NetworkArchitecture.CifarResNet"/>,
        /// <see cref="NetworkArchitecture.ResNet18"/> or <see cref="NetworkArchitecture.CifarGoogLeNet"/> (or
        /// <see cref="NetworkArchitecture.Parse"/> of a name such as <c>resnet20</c>). Default: the small VGG of
        /// <see cref="VggLayout.Default"/>.
        /// </summary>
        public NetworkArchitecture Architecture { get; set; } = NetworkArchitecture.Parse(DecoupleNetworkDefaults.Architecture);

        /// <summary>
        /// Initial weights, usually those of a dense network trained before (paper: decoupling starts from pretrained weights):
        /// <see cref="PretrainedWeights.FromFile"/> (PyTorch <c>.pt</c>/<c>.safetensors</c> state dicts, checkpoints of this
        /// package) or <see cref="PretrainedWeights.FromNetwork"/>. Gates keep their own initialisation. Null: random init.
        /// </summary>
        public PretrainedWeights? InitialWeights { get; set; }

        /// <summary>Per-channel input normalisation applied inside the network (and its ONNX model); null for none unless <see cref="NormalizeFromData"/>.</summary>
        public InputNormalization? Normalization { get; set; }

        /// <summary>When <see cref="Normalization"/> is null: measure the per-channel mean and deviation on the training data and normalise with them.</summary>
        public bool NormalizeFromData { get; set; }

        /// <summary>Train-time augmentation (random crop with padding, horizontal flip); null for none. The paper's CIFAR setting is <see cref="ImageAugmentation.Cifar"/>.</summary>
        public ImageAugmentation? Augmentation { get; set; }

        /// <summary>
        /// A checkpoint file rewritten after every epoch; when it exists as <c>Fit</c> starts, training resumes from it (same
        /// options, data and normalisation required). Null: no checkpoints.
        /// </summary>
        public string? CheckpointPath { get; set; }

        /// <summary>
        /// The most training pixels, in megabytes of float32 values (2^20 bytes), that <c>Fit</c> keeps in memory (default
        /// 2048). Larger training sets (or sets whose row count is unknown and pass the limit while they are read) go to a
        /// temporary cache file in <see cref="TrainingCacheFolder"/>, written in one pass over the data and read batch by
        /// batch, so memory stays about one batch and the data set may exceed memory and 2^31 values. The file is deleted
        /// when <c>Fit</c> returns or fails. The same seed gives the same training in memory and from the cache. 0 always
        /// uses the cache.
        /// </summary>
        public int TrainingDataInMemoryLimitMegabytes { get; set; } = DecoupleNetworkDefaults.TrainingDataInMemoryLimitMegabytes;

        /// <summary>
        /// The folder of the training cache file (see <see cref="TrainingDataInMemoryLimitMegabytes"/>; created if missing and
        /// checked writable before the data is read); null, the default, uses the system temporary folder
        /// (<see cref="Path.GetTempPath"/>). It needs room for every training pixel as float32 (4 bytes a value).
        /// </summary>
        public string? TrainingCacheFolder { get; set; }

        /// <summary>
        /// When set, training stops after this many optimiser steps (batches), counted from the first epoch (like PyTorch
        /// Lightning's <c>max_steps</c>): a fixed budget, e.g. for benchmarks. The learning-rate schedule still follows
        /// <see cref="Epochs"/>; the report of an epoch cut short averages over the batches it ran, and a checkpoint keeps
        /// only whole epochs. Null, the default: no limit.
        /// </summary>
        public int? MaximumSteps { get; set; }

        /// <summary>
        /// Epochs of dense pretraining before decoupling, in the same <c>Fit</c> (paper §3.4: decoupling starts from a
        /// pretrained network): the architecture without gates trains on the same data with the same settings for this many
        /// epochs, its weights initialise the gated network (the gates keep their own initialisation), and the gated network
        /// then trains for <see cref="Epochs"/>. <see cref="InitialWeights"/>, when set, initialise the dense stage. With a
        /// <see cref="CheckpointPath"/> the dense stage keeps its own checkpoint beside it (the same path + <c>.dense</c>), so
        /// an interrupted fit resumes in either stage; <see cref="MaximumSteps"/> limits the decoupling stage. The same as a
        /// dense <c>Fit</c> followed by <see cref="PretrainedWeights.FromNetwork"/> (the two give identical weights). 0
        /// (default): the gated network trains from its initialisation alone.
        /// </summary>
        public int DensePretrainingEpochs { get; set; }

        /// <summary>Number of training epochs.</summary>
        public int Epochs { get; set; } = DecoupleNetworkDefaults.Epochs;

        /// <summary>Mini-batch size (paper: 128).</summary>
        public int BatchSize { get; set; } = DecoupleNetworkDefaults.BatchSize;

        /// <summary>Initial SGD learning rate (paper: 0.1), divided by 10 at 50% and 75% of the epochs.</summary>
        public double LearningRate { get; set; } = DecoupleNetworkDefaults.LearningRate;

        /// <summary>SGD momentum (paper: 0.9).</summary>
        public double Momentum { get; set; } = DecoupleNetworkDefaults.Momentum;

        /// <summary>Weight decay on every parameter (authors' release: 1e-4).</summary>
        public double WeightDecay { get; set; } = DecoupleNetworkDefaults.WeightDecay;

        /// <summary>λm, weight of the mutual-information loss Lmi (paper Table 5, VGGNet: 0.04).</summary>
        public double MutualInformationWeight { get; set; } = DecoupleNetworkDefaults.MutualInformationWeight;

        /// <summary>λk, weight of the KL loss Lkl (paper: 1).</summary>
        public double KullbackLeiblerWeight { get; set; } = DecoupleNetworkDefaults.KullbackLeiblerWeight;

        /// <summary>λs, weight of the sparsity loss Ls (paper Table 5, VGGNet: 2e-4).</summary>
        public double SparsityWeight { get; set; } = DecoupleNetworkDefaults.SparsityWeight;

        /// <summary>R, target ratio of active filters in Ls; 0 learns the sparsity (plain L1).</summary>
        public double TargetRatio { get; set; } = DecoupleNetworkDefaults.TargetRatio;

        /// <summary>
        /// Epochs over which λs ramps in linearly from 0 (0-based epoch e uses λs·min(1, e / this)), so that Lmi shapes the
        /// gates before the sparsity loss closes filters; 0 (default): λs from the start, as in the paper. A warm-up longer
        /// than <see cref="Epochs"/> ends the run before λs reaches its full value.
        /// </summary>
        public int SparsityWarmupEpochs { get; set; }

        /// <summary>
        /// When set, gradients are rescaled before each update so that their global L2 norm is at most this value (a guard
        /// against divergence at high learning rates); null, the default, does not clip.
        /// </summary>
        public double? GradientClipNorm { get; set; }

        /// <summary>γ, reduction of the gates' hidden layer (paper: 4).</summary>
        public int GateReduction { get; set; } = DecoupleNetworkDefaults.GateReduction;

        /// <summary>Whether to gate the convs; false trains the dense baseline of the same architecture (paths are then empty). An ablation switch, like a weight of 0 for each loss.</summary>
        public bool UseGates { get; set; } = true;

        /// <summary>Seed of initialisation, shuffling and gate noise; null takes one from the MLContext's seed.</summary>
        public int? Seed { get; set; }

        /// <summary>
        /// Whether the fitted transformer checks that every image value it reads is a finite value in [0, 1], as training
        /// requires, failing with the column, the row and the value (default true: without it a NaN pixel gives NaN scores
        /// and NaN path values, and bytes not divided by 255 give confident scores, silently). The check reads each value
        /// once, negligible beside the network; false skips it. It is not part of a saved model file: a model loaded back
        /// with <c>mlContext.Model.Load</c> scores through ML.NET's own ONNX transform and does not check.
        /// </summary>
        public bool CheckPixels { get; set; } = true;

        /// <summary>
        /// A copy that the estimator keeps, so that changing these options after the estimator was made changes nothing.
        /// A shallow copy suffices because every member is a value, a string or an immutable object; keep it so.
        /// </summary>
        internal Options Clone() => (Options)MemberwiseClone();

        internal void Validate()
        {
            RequireName(FeatureColumnName, nameof(FeatureColumnName));
            RequireName(LabelColumnName, nameof(LabelColumnName));
            RequireName(ScoreColumnName, nameof(ScoreColumnName));
            RequireName(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
            RequireName(PathColumnName, nameof(PathColumnName));
            RequireName(ResponsesColumnName, nameof(ResponsesColumnName));
            RequireName(PathDeviationColumnName, nameof(PathDeviationColumnName));
            SettingChecks.RequireRange(DeviationCalibrationImages, 0, int.MaxValue, nameof(DeviationCalibrationImages));
            RequireDistinctNames();
            SettingChecks.RequireRange(ImageChannels, 1, 4096, nameof(ImageChannels));
            SettingChecks.RequireRange(ImageHeight, 0, 65536, nameof(ImageHeight));
            SettingChecks.RequireRange(ImageWidth, 0, 65536, nameof(ImageWidth));
            if ((ImageHeight == 0) != (ImageWidth == 0))
            {
                throw new ArgumentOutOfRangeException(nameof(ImageHeight), $"Set both ImageHeight and ImageWidth, or neither (got {ImageHeight}×{ImageWidth}).");
            }

            if ((long)ImageChannels * ImageHeight * ImageWidth > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(ImageHeight),
                    $"ImageChannels × ImageHeight × ImageWidth ({ImageChannels}×{ImageHeight}×{ImageWidth}) is more values than one image array holds ({Array.MaxLength}).");
            }

            SettingChecks.RequireRange(GateReduction, 1, 1 << 16, nameof(GateReduction));
            SettingChecks.RequireRange(DensePretrainingEpochs, 0, 100_000, nameof(DensePretrainingEpochs));
            if (DensePretrainingEpochs > 0 && !UseGates)
            {
                throw new ArgumentException($"{nameof(DensePretrainingEpochs)} is {DensePretrainingEpochs} but {nameof(UseGates)} is false: dense pretraining initialises a gated network; train the dense network for more epochs instead.", nameof(DensePretrainingEpochs));
            }
            if (Architecture is null)
            {
                throw new ArgumentNullException(nameof(Architecture), $"{nameof(Architecture)} must name a network, e.g. NetworkArchitecture.CifarResNet(20).");
            }

            if (Normalization is not null && Normalization.Channels != ImageChannels)
            {
                throw new ArgumentException($"{nameof(Normalization)} has {Normalization.Channels} channels but {nameof(ImageChannels)} is {ImageChannels}.", nameof(Normalization));
            }

            SettingChecks.RequireRange(TrainingDataInMemoryLimitMegabytes, 0, 1 << 24, nameof(TrainingDataInMemoryLimitMegabytes));
            if (TrainingCacheFolder is not null && (string.IsNullOrWhiteSpace(TrainingCacheFolder) || File.Exists(TrainingCacheFolder)))
            {
                throw new ArgumentException($"{nameof(TrainingCacheFolder)} '{TrainingCacheFolder}' must be the path of a folder, not empty or a file.", nameof(TrainingCacheFolder));
            }

            // The training settings follow TrainingSettings' own rules, reported under these options' names.
            ToTrainingSettings(seed: 0, device: null).Validate(OptionName);
        }

        internal TrainingSettings ToTrainingSettings(int seed, TorchSharp.torch.Device? device) => new(
            Epochs, BatchSize, LearningRate, Momentum, WeightDecay,
            new LossWeights(MutualInformationWeight, KullbackLeiblerWeight, SparsityWeight, TargetRatio) { SparsityWarmupEpochs = SparsityWarmupEpochs },
            seed)
        {
            Augmentation = Augmentation,
            CheckpointPath = CheckpointPath,
            GradientClipNorm = GradientClipNorm,
            MaximumSteps = MaximumSteps,
            Device = device,
            Start = Training.DensePretraining.StartOf(DensePretrainingEpochs, InitialWeights),
        };

        /// <summary>Resolves C, H, W for an image column of <paramref name="size"/> values.</summary>
        internal (int Channels, int Height, int Width) ResolveGeometry(int size)
        {
            if (ImageHeight > 0)
            {
                return (ImageChannels, ImageHeight, ImageWidth);
            }

            int side = (int)Math.Round(Math.Sqrt(size / (double)ImageChannels));
            if (side * side * ImageChannels != size)
            {
                throw new ArgumentOutOfRangeException(nameof(ImageHeight),
                    $"Column '{FeatureColumnName}' has {size} values, which is not {ImageChannels}×H×H for any H; set ImageHeight and ImageWidth.");
            }

            return (ImageChannels, side, side);
        }

        private void RequireDistinctNames()
        {
            var names = new (string Option, string Column)[]
            {
                (nameof(FeatureColumnName), FeatureColumnName),
                (nameof(LabelColumnName), LabelColumnName),
                (nameof(ScoreColumnName), ScoreColumnName),
                (nameof(PredictedLabelColumnName), PredictedLabelColumnName),
                (nameof(PathColumnName), PathColumnName),
                (nameof(ResponsesColumnName), ResponsesColumnName),
                (nameof(PathDeviationColumnName), PathDeviationColumnName),
            };
            for (int i = 0; i < names.Length; i++)
            {
                if (names[i].Column == TransformerPipeline.ScorerInputColumn)
                {
                    throw new ArgumentException($"{names[i].Option} '{names[i].Column}' is reserved for this package's own pipeline.", names[i].Option);
                }

                for (int j = 0; j < i; j++)
                {
                    if (names[i].Column == names[j].Column)
                    {
                        throw new ArgumentException($"{names[i].Option} and {names[j].Option} both name column '{names[i].Column}'; they must differ.", names[i].Option);
                    }
                }
            }
        }

        private static void RequireName(string value, string name)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"{name} must name a column.", name);
            }
        }

        /// <summary>The option that sets a <see cref="TrainingSettings"/> member (the same name except for the loss weights).</summary>
        private static string OptionName(string setting) => setting switch
        {
            _ when setting == TrainingSettings.WeightName(nameof(LossWeights.MutualInformation)) => nameof(MutualInformationWeight),
            _ when setting == TrainingSettings.WeightName(nameof(LossWeights.KullbackLeibler)) => nameof(KullbackLeiblerWeight),
            _ when setting == TrainingSettings.WeightName(nameof(LossWeights.Sparsity)) => nameof(SparsityWeight),
            _ when setting == TrainingSettings.WeightName(nameof(LossWeights.TargetRatio)) => nameof(TargetRatio),
            _ when setting == TrainingSettings.WeightName(nameof(LossWeights.SparsityWarmupEpochs)) => nameof(SparsityWarmupEpochs),
            _ => setting,
        };
    }
}
