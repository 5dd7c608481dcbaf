namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>
/// The Python callables a <c>torch.save</c> pickle applies that this reader models, without running anything:
/// <c>collections.OrderedDict</c> (a dictionary), <c>torch._utils._rebuild_tensor(_v2)</c> (a
/// <see cref="TorchTensorReference"/>) and <c>_rebuild_parameter</c> (its tensor); any other class or function gives an
/// inert <see cref="PickleObject"/>.
/// </summary>
internal static class PickleGlobals
{
    public static object? Reduce(object? callable, object?[] args)
    {
        if (callable is not PickleGlobal global)
        {
            throw new InvalidDataException($"REDUCE on {PickleMachine.Describe(callable)}, not a global");
        }

        switch (global.FullName)
        {
            case "collections.OrderedDict":
                var dict = new Dictionary<object, object?>();
                if (args.Length > 0 && args[0] is List<object?> pairs)
                {
                    foreach (var pair in pairs)
                    {
                        var kv = PickleMachine.AsTuple(pair);
                        PickleMachine.SetItems(dict, kv);
                    }
                }

                return dict;
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
                if (args.Length < 4 || args[0] is not TorchStorageReference storage)
                {
                    throw new InvalidDataException($"{global.Name} with unexpected arguments");
                }

                return new TorchTensorReference(storage, PickleMachine.AsLong(args[1]), PickleMachine.Longs(args[2]), PickleMachine.Longs(args[3]));
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args.Length > 0 ? args[0] : throw new InvalidDataException($"{global.Name} without arguments");
            default:
                return new PickleObject(global, args);
        }
    }

    public static PickleObject NewObject(object? type, object?[] args) =>
        type is PickleGlobal global ? new PickleObject(global, args) : throw new InvalidDataException($"NEWOBJ on {PickleMachine.Describe(type)}");

    public static void Build(object? target, object? state)
    {
        switch (target)
        {
            case PickleObject obj:
                obj.State = state;
                break;
            case Dictionary<object, object?>:
            case TorchTensorReference:
                // An OrderedDict's state is its attributes (a state dict's _metadata: module versions); a tensor's, its
                // Python attributes. Neither holds weights.
                break;
            default:
                throw new InvalidDataException($"BUILD on {PickleMachine.Describe(target)}");
        }
    }
}
