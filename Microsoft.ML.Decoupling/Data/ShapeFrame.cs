namespace Microsoft.ML.Decoupling.Data;

/// <summary>Where and how large one generated shape is drawn; all its parts share the frame.</summary>
/// <param name="CenterX">Centre column in pixels.</param>
/// <param name="CenterY">Centre row in pixels.</param>
/// <param name="Scale">Half-extent of the shape in pixels.</param>
/// <param name="HalfStroke">Half the stroke width in pixels.</param>
/// <param name="DiagonalSign">+1 for the "\" diagonal (y grows with x), −1 for "/".</param>
internal readonly record struct ShapeFrame(double CenterX, double CenterY, double Scale, double HalfStroke, double DiagonalSign);
