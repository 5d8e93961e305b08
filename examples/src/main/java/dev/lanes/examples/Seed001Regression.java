package dev.lanes.examples;

import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.losses.BCEWithLogitsLoss;
import dev.lanes.nn.losses.MSELoss;
import dev.lanes.nn.optim.SGD;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Seed 001's section 4.1 and 4.2, linear and logistic regression, with the PyTorch-style API.
 *
 * <ul>
 *   <li>Linear regression {@code y = w x + b} on 100 points {@code y = 3x + 2 + noise} (x uniform in [-1, 1],
 *       noise normal with std 0.1): {@code Linear(1, 1)}, {@code MSELoss}, full-batch gradient descent
 *       ({@code SGD}, lr 0.1, 500 epochs). It recovers w = 3, b = 2 to the noise's precision, and the least-squares
 *       solution (the exact minimiser of the same loss) is printed beside it.</li>
 *   <li>Logistic regression {@code h = sigmoid(w.x + b)} on two Gaussian blobs of 100 points each (std 1, centred
 *       at (-2, -2) for class 0 and (2, 2) for class 1): {@code Linear(2, 1)} producing logits,
 *       {@code BCEWithLogitsLoss} (the seed's cross-entropy with the sigmoid folded in, stably), SGD lr 0.1,
 *       1000 epochs; accuracy on the training points and on 1000 new ones.</li>
 * </ul>
 *
 * <p>Usage: {@code ./lanes run Seed001Regression [--seed S]}.
 */
public final class Seed001Regression {
    private Seed001Regression() {}

    /** Fitted and least-squares line, and the logistic model's losses and accuracies. */
    record Result(double w, double b, double leastSquaresW, double leastSquaresB, double linearLoss,
                  double logisticFirstLoss, double logisticLoss, double trainAccuracy, double testAccuracy) {}

    public static void main(String[] args) {
        Args a = new Args(args, "--seed S");
        run(a.longInteger("--seed", 1), System.out);
    }

    static Result run(long seed, PrintStream out) {
        Generator generator = new Generator(seed);

        out.println("== Linear regression: y = 3x + 2 + noise, 100 points, Linear(1, 1), MSELoss, SGD(lr=0.1)");
        int n = 100;
        Tensor x = Tensor.rand(generator, n, 1).mul(2).sub(1);
        Tensor y = x.mul(3).add(2).add(Tensor.randn(generator, n, 1).mul(0.1f));
        Linear line = new Linear(1, 1, true, null, generator);
        MSELoss mse = new MSELoss();
        SGD sgd = new SGD(line.parameters(), 0.1);
        double linearLoss = Double.NaN;
        for (int epoch = 1; epoch <= 500; epoch++) {
            sgd.zeroGrad();
            Tensor loss = mse.forward(line.forward(x), y);
            loss.backward();
            sgd.step();
            linearLoss = loss.item();
            if (epoch == 1 || epoch % 100 == 0) {
                out.printf(Locale.ROOT, "epoch %3d  loss %.6f  w %.4f  b %.4f%n", epoch, linearLoss,
                        line.weight().item(), line.bias().item());
            }
        }
        double w = line.weight().item(), b = line.bias().item();
        double[] ls = leastSquares(x.toArray(), y.toArray());
        out.printf(Locale.ROOT, "learned  y = %.4f x%s%n", w, signed(b));
        out.printf(Locale.ROOT, "least squares on the same points: y = %.4f x%s (the true line: y = 3 x + 2)%n", ls[0], signed(ls[1]));

        out.println();
        out.println("== Logistic regression: two Gaussian blobs, Linear(2, 1), BCEWithLogitsLoss, SGD(lr=0.1)");
        Tensor[] train = blobs(generator, 100);
        Linear logistic = new Linear(2, 1, true, null, generator);
        BCEWithLogitsLoss bce = new BCEWithLogitsLoss();
        SGD sgd2 = new SGD(logistic.parameters(), 0.1);
        double firstLoss = Double.NaN, logisticLoss = Double.NaN;
        for (int epoch = 1; epoch <= 1000; epoch++) {
            sgd2.zeroGrad();
            Tensor loss = bce.forward(logistic.forward(train[0]), train[1]);
            loss.backward();
            sgd2.step();
            logisticLoss = loss.item();
            if (epoch == 1) {
                firstLoss = logisticLoss;
            }
            if (epoch == 1 || epoch % 200 == 0) {
                out.printf(Locale.ROOT, "epoch %4d  loss %.4f  accuracy %.1f %%%n", epoch, logisticLoss,
                        100 * accuracy(logistic, train));
            }
        }
        Tensor weight = logistic.weight();
        out.printf(Locale.ROOT, "learned  h(x) = sigmoid(%.4f x1%s x2%s)%n", weight.get(0, 0), signed(weight.get(0, 1)),
                signed(logistic.bias().item()));
        double trainAccuracy = accuracy(logistic, train);
        double testAccuracy = accuracy(logistic, blobs(generator, 500));
        out.printf(Locale.ROOT, "accuracy: %.1f %% on the 200 training points, %.1f %% on 1000 new ones%n",
                100 * trainAccuracy, 100 * testAccuracy);
        return new Result(w, b, ls[0], ls[1], linearLoss, firstLoss, logisticLoss, trainAccuracy, testAccuracy);
    }

    /** {@code perClass} points of class 0 around (-2, -2) and of class 1 around (2, 2), std 1: {inputs (2n, 2), labels (2n, 1)}. */
    static Tensor[] blobs(Generator generator, int perClass) {
        float[] points = new float[4 * perClass], labels = new float[2 * perClass];
        for (int i = 0; i < 2 * perClass; i++) {
            int label = i < perClass ? 0 : 1;
            float centre = label == 0 ? -2 : 2;
            points[2 * i] = centre + generator.nextGaussian();
            points[2 * i + 1] = centre + generator.nextGaussian();
            labels[i] = label;
        }
        return new Tensor[] {Tensor.of(points, 2 * perClass, 2), Tensor.of(labels, 2 * perClass, 1)};
    }

    /** The share of points whose logit has the sign of their label (logit > 0 means class 1). */
    static double accuracy(Linear model, Tensor[] data) {
        try (var noGrad = GradMode.noGrad()) {
            float[] logits = model.forward(data[0]).toArray(), labels = data[1].toArray();
            int correct = 0;
            for (int i = 0; i < logits.length; i++) {
                correct += (logits[i] > 0) == (labels[i] == 1) ? 1 : 0;
            }
            return correct / (double) logits.length;
        }
    }

    /** " + 1.234" or " - 1.234", for printing formulas. */
    private static String signed(double value) {
        return String.format(Locale.ROOT, value < 0 ? " - %.4f" : " + %.4f", Math.abs(value));
    }

    /** The least-squares line through the points, in double: {slope, intercept}. */
    static double[] leastSquares(float[] x, float[] y) {
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= x.length;
        my /= x.length;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double slope = sxy / sxx;
        return new double[] {slope, my - slope * mx};
    }
}
