package dev.lanes.examples;

import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Activations;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.losses.MSELoss;
import dev.lanes.nn.optim.Adagrad;
import dev.lanes.nn.optim.Adam;
import dev.lanes.nn.optim.AdamW;
import dev.lanes.nn.optim.Muon;
import dev.lanes.nn.optim.Optimizer;
import dev.lanes.nn.optim.RMSprop;
import dev.lanes.nn.optim.SGD;
import dev.lanes.nn.train.Chart;
import dev.lanes.nn.train.Series;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Seed 002: its hand-checked autograd example, its PyTorch FNN trained with MSE and Adam, and its list of
 * optimizers (SGD, Momentum, NAG, Adagrad, RMSprop, Adam, AdamW, Muon) compared on one task.
 *
 * <ol>
 *   <li>{@code a = 2}, {@code b = 3}, {@code loss = mean(a * b + 1)}: backward gives {@code a.grad = 3},
 *       {@code b.grad = 2}, as the seed works out by hand;</li>
 *   <li>the seed's {@code SimpleNN(10, 20, 2)} ({@code layer1 -> ReLU -> layer2}) fitting one random input to one
 *       random target with {@code MSELoss} and {@code Adam(lr=0.01)} for 100 epochs, printing every 10th;</li>
 *   <li>the same architecture on a batch of 64 random inputs whose targets come from a "teacher" network of the
 *       same shape with other random weights, trained from the same initial weights for the same 300 full-batch
 *       steps by each optimizer of the seed's list (learning rates are typical ones for each, printed beside
 *       it); Muon takes the 2-D weights and AdamW the biases, as PyTorch's Muon documentation recommends. The
 *       final losses are printed and the loss curves drawn on one chart with a log y axis
 *       ({@code optimizers.png} and {@code .svg}).</li>
 * </ol>
 *
 * <p>Usage: {@code ./lanes run Seed002Optimizers [--out DIR] [--steps N] [--seed S]} (default
 * {@code target/seed002/}, 300 steps).
 */
public final class Seed002Optimizers {
    private Seed002Optimizers() {}

    /** One optimizer's run: its name, learning rate(s) as printed, the loss before each step and after the last. */
    record Curve(String name, String settings, double[] losses, double finalLoss) {
        double initialLoss() {
            return losses[0];
        }
    }

    /** The autograd gradients, the seed's FNN's final loss, each optimizer's curve and the charts written. */
    record Result(double gradA, double gradB, double fnnFinalLoss, List<Curve> curves, List<Path> files) {}

    /** The seed's FNN: {@code layer1 -> ReLU -> layer2}. */
    static final class SimpleNN extends Module {
        private final Linear layer1, layer2;
        private final Activations.ReLU activation = new Activations.ReLU();

        SimpleNN(int inputSize, int hiddenSize, int outputSize, Generator generator) {
            layer1 = registerModule("layer1", new Linear(inputSize, hiddenSize, true, null, generator)); // input to hidden
            layer2 = registerModule("layer2", new Linear(hiddenSize, outputSize, true, null, generator)); // hidden to output
            registerModule("activation", activation);
        }

        @Override
        public Tensor forward(Tensor x) {
            return layer2.forward(activation.forward(layer1.forward(x)));
        }
    }

    /** An optimizer (or a pair, for Muon) built over a model's parameters. */
    private record Method(String name, String settings, Function<Module, List<Optimizer>> build) {}

    private static final List<Method> METHODS = List.of(
            new Method("SGD", "lr 0.05", m -> List.of(new SGD(m.parameters(), 0.05))),
            new Method("Momentum", "lr 0.01, momentum 0.9", m -> List.of(new SGD(m.parameters(), 0.01).momentum(0.9))),
            new Method("NAG", "lr 0.01, momentum 0.9, nesterov", m -> List.of(new SGD(m.parameters(), 0.01).momentum(0.9).nesterov(true))),
            new Method("Adagrad", "lr 0.05", m -> List.of(new Adagrad(m.parameters(), 0.05))),
            new Method("RMSprop", "lr 0.002", m -> List.of(new RMSprop(m.parameters(), 0.002))),
            new Method("Adam", "lr 0.01", m -> List.of(new Adam(m.parameters(), 0.01))),
            new Method("AdamW", "lr 0.01, weight decay 0.01", m -> List.of(new AdamW(m.parameters(), 0.01))),
            new Method("Muon", "lr 0.02 (weights) + AdamW lr 0.01 (biases)", m -> {
                List<Tensor> matrices = new ArrayList<>(), others = new ArrayList<>();
                for (Tensor p : m.parameters()) {
                    (p.dim() == 2 ? matrices : others).add(p);
                }
                return List.of(new Muon(matrices, 0.02), new AdamW(others, 0.01));
            }));

    public static void main(String[] args) throws IOException {
        Args a = new Args(args, "--out DIR", "--steps N", "--seed S");
        int steps = a.integer("--steps", 300);
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        run(a.longInteger("--seed", 2), steps, a.path("--out", Path.of("target", "seed002")), System.out);
    }

    static Result run(long seed, int steps, Path outDir, PrintStream out) throws IOException {
        double[] grads = autograd(out);
        double fnnLoss = seedFnn(seed, out);

        out.println();
        out.printf(Locale.ROOT, "== The optimizers of seed 002 on one task: SimpleNN(10, 20, 2) learning a teacher network,"
                + " 64 samples, MSELoss, %d full-batch steps from the same initial weights%n", steps);
        Generator data = new Generator(seed + 1000);
        Tensor inputs = Tensor.randn(data, 64, 10);
        Tensor targets;
        try (var noGrad = GradMode.noGrad()) {
            targets = new SimpleNN(10, 20, 2, data).forward(inputs);
        }
        Map<String, Tensor> initial = new SimpleNN(10, 20, 2, new Generator(seed)).stateDict();
        MSELoss mse = new MSELoss();
        List<Curve> curves = new ArrayList<>();
        for (Method method : METHODS) {
            SimpleNN model = new SimpleNN(10, 20, 2, new Generator(seed));
            model.loadStateDict(initial, true);
            List<Optimizer> optimizers = method.build().apply(model);
            double[] losses = new double[steps];
            for (int step = 0; step < steps; step++) {
                optimizers.forEach(Optimizer::zeroGrad);
                Tensor loss = mse.forward(model.forward(inputs), targets);
                loss.backward();
                optimizers.forEach(Optimizer::step);
                losses[step] = loss.item();
            }
            double finalLoss;
            try (var noGrad = GradMode.noGrad()) {
                finalLoss = mse.forward(model.forward(inputs), targets).item();
            }
            Curve curve = new Curve(method.name(), method.settings(), losses, finalLoss);
            curves.add(curve);
            out.printf(Locale.ROOT, "  %-9s %-44s loss %.4f -> %.6f  (%,.0f times lower)%n", method.name(), method.settings(),
                    curve.initialLoss(), finalLoss, curve.initialLoss() / finalLoss);
        }

        Files.createDirectories(outDir);
        Chart chart = new Chart("Seed 002's optimizers: training loss").xLabel("step").yLabel("MSE loss").logY(true);
        for (Curve curve : curves) {
            chart.add(Series.line(curve.name(), curve.losses()));
        }
        List<Path> files = Seed003SinFit.write(chart, outDir, "optimizers");
        for (Path file : files) {
            out.println("wrote " + file);
        }
        return new Result(grads[0], grads[1], fnnLoss, List.copyOf(curves), files);
    }

    /** The seed's hand-checked example: a = 2, b = 3, c = a * b, d = c + 1, loss = d.mean(). */
    private static double[] autograd(PrintStream out) {
        out.println("== Autograd by hand (seed 002's Tensor with backward() by topological sort)");
        Tensor a = Tensor.of(new float[] {2}).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {3}).requiresGrad(true);
        out.println("Forward pass:");
        Tensor c = a.mul(b);
        Tensor d = c.add(1);
        Tensor loss = d.mean();
        out.println("a = " + a);
        out.println("b = " + b);
        out.println("c = a * b = " + c);
        out.println("d = c + 1 = " + d);
        out.println("loss = d.mean() = " + loss);
        out.println("Before backward:");
        out.println("a.grad = " + (a.grad() == null ? "None" : a.grad()));  // no gradient until a backward pass
        out.println("b.grad = " + (b.grad() == null ? "None" : b.grad()));
        loss.backward();
        out.println("After backward:");
        out.println("a.grad = " + a.grad() + "   (should be b * 1 = 3.0)");
        out.println("b.grad = " + b.grad() + "   (should be a * 1 = 2.0)");
        out.println("Checked by hand:");
        out.println("dloss/da = dloss/dd * dd/dc * dc/da = 1 * 1 * b = " + b.item());
        out.println("dloss/db = dloss/dd * dd/dc * dc/db = 1 * 1 * a = " + a.item());
        return new double[] {a.grad().item(), b.grad().item()};
    }

    /** The seed's FNN run: one random input (10) and target (2), MSELoss, Adam(lr=0.01), 100 epochs. */
    private static double seedFnn(long seed, PrintStream out) {
        out.println();
        out.println("== The seed's FNN: SimpleNN(10, 20, 2), one random sample, MSELoss, Adam(lr=0.01)");
        Generator generator = new Generator(seed);
        SimpleNN model = new SimpleNN(10, 20, 2, generator);
        MSELoss criterion = new MSELoss();
        Adam optimizer = new Adam(model.parameters(), 0.01);
        Tensor inputs = Tensor.randn(generator, 10);
        Tensor targets = Tensor.randn(generator, 2);
        double loss = Double.NaN;
        for (int epoch = 0; epoch < 100; epoch++) {
            Tensor outputs = model.forward(inputs);   // forward: records the graph
            Tensor lossTensor = criterion.forward(outputs, targets);
            optimizer.zeroGrad();
            lossTensor.backward();                    // backward: walks the graph from the loss
            optimizer.step();
            loss = lossTensor.item();
            if ((epoch + 1) % 10 == 0) {
                out.printf(Locale.ROOT, "Epoch [%d/100], Loss: %.4f%n", epoch + 1, loss);
            }
        }
        return loss;
    }
}
